"""Calendar feeds behind secret token URLs: per room and per organisation, in Asia/Seoul."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session, col, select

from facility.booking import common, ical, queries
from facility.booking.models import Booking
from facility.core import feeds
from facility.core.auth import CurrentUser, DbSession, ensure_role
from facility.core.db import utcnow
from facility.core.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound, error_responses
from facility.core.i18n import gettext as _
from facility.core.models import MANAGING_ROLES, Organization, User
from facility.core.params import ObjectId
from facility.rooms import service as rooms_service
from facility.rooms.models import Room

# Included by `router` under its /api/v1 prefix.
router = APIRouter()  # included by booking.router, which tags it
FeedKind = Literal["organization", "room"]


# --- calendar feeds -------------------------------------------------------------------------


def org_feed_url(session: Session, secret_key: str, user: User) -> str | None:
    """The user's organisation's feed URL, None while revoked; reading it writes nothing."""
    org_id = user.organization_id
    token = feeds.current_token(session, secret_key, f"organization:{org_id}")
    return f"/api/v1/organizations/{org_id}/calendar.ics?token={token}" if token else None


def room_feed_url(session: Session, secret_key: str, room_id: int) -> str | None:
    """A room's feed URL for managers, None while revoked; reading it writes nothing."""
    token = feeds.current_token(session, secret_key, f"room:{room_id}")
    return f"/api/v1/rooms/{room_id}/calendar.ics?token={token}" if token else None


def feed_scope(user: User, feed: FeedKind, room_id: int | None) -> str:
    """The feed a user may rotate or revoke: their organisation's, or (managers) a room's."""
    if feed == "organization":
        if not user.organization_id:
            raise Forbidden(_("Only members of an organisation have its calendar feed."))
        return f"organization:{user.organization_id}"
    ensure_role(user, *MANAGING_ROLES)
    if room_id is None:
        raise InvalidInput(_("Name the room whose feed to change."))
    return f"room:{room_id}"


def _ics(body: bytes) -> Response:
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300"},
    )


@router.get("/rooms/{room_id}/calendar.ics", responses=error_responses(NotFound))
def room_calendar(room_id: ObjectId, token: str, request: Request, session: DbSession) -> Response:
    """The room's bookings as an iCalendar feed, behind its secret token."""
    if not feeds.is_valid(session, request.app.state.secret_key, f"room:{room_id}", token):
        raise NotFound(_("No such calendar."))
    room = session.get(Room, room_id)
    if room is None:
        raise NotFound(_("No such calendar."))

    now = utcnow()
    rows = queries.bookings_between(session, now - timedelta(days=90), now + timedelta(days=400), room_ids=[room_id])
    zone = common.local_zone().key
    return _ics(ical.calendar_bytes([(b, room) for b in rows], zone, name=f"{room.name_ko} ({room.code})"))


@router.get("/organizations/{org_id}/calendar.ics", responses=error_responses(NotFound))
def organization_calendar(org_id: ObjectId, token: str, request: Request, session: DbSession) -> Response:
    if not feeds.is_valid(session, request.app.state.secret_key, f"organization:{org_id}", token):
        raise NotFound(_("No such calendar."))
    org = session.get(Organization, org_id)
    if org is None:
        raise NotFound(_("No such calendar."))

    rows = list(
        session.exec(
            select(Booking).where(Booking.organization_id == org_id).order_by(col(Booking.starts_at)).limit(2000)
        )
    )
    rooms = {r.id: r for r in rooms_service.visible_rooms(session, None, list({b.room_id for b in rows}))}
    zone = common.local_zone().key
    return _ics(ical.calendar_bytes([(b, rooms.get(b.room_id)) for b in rows], zone, name=org.name))


@router.get("/calendar-links", responses=error_responses(NotAuthenticated))
def calendar_links(
    request: Request, session: DbSession, user: CurrentUser, room_id: int | None = None
) -> dict[str, str]:
    """Secret feed URLs: the user's organisation's, and (staff) a room's."""
    secret = request.app.state.secret_key
    links: dict[str, str | None] = {}
    if user.organization_id:
        links["organization"] = org_feed_url(session, secret, user)
    if room_id is not None:
        if not user.is_staff:
            raise Forbidden(_("Room feeds are for staff."))
        links["room"] = room_feed_url(session, secret, room_id)
    return {feed: url for feed, url in links.items() if url}


@router.post("/calendar-links/rotate", responses=error_responses(Forbidden, InvalidInput, NotAuthenticated))
def rotate_calendar_link(
    request: Request, session: DbSession, user: CurrentUser, feed: FeedKind, room_id: ObjectId | None = None
) -> dict[str, str]:
    """A new secret URL for the feed; the old one stops working at once."""
    scope = feed_scope(user, feed, room_id)
    token = feeds.rotate(session, request.app.state.secret_key, scope, user)
    path = f"/api/v1/organizations/{user.organization_id}" if feed == "organization" else f"/api/v1/rooms/{room_id}"
    return {feed: f"{path}/calendar.ics?token={token}"}


@router.post(
    "/calendar-links/revoke", status_code=204, responses=error_responses(Forbidden, InvalidInput, NotAuthenticated)
)
def revoke_calendar_link(
    session: DbSession, user: CurrentUser, feed: FeedKind, room_id: ObjectId | None = None
) -> Response:
    """The feed's URL stops working; the next request for links issues a new one."""
    feeds.revoke(session, feed_scope(user, feed, room_id), user)
    return Response(status_code=204)
