"""Calendar feeds behind secret token URLs: per room and per organisation, in Asia/Seoul."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import col, select

from facility.booking import common, ical, queries
from facility.booking.models import Booking
from facility.core.auth import CurrentUser, DbSession
from facility.core.db import utcnow
from facility.core.errors import Forbidden, NotAuthenticated, NotFound, error_responses
from facility.core.i18n import gettext as _
from facility.core.models import Organization
from facility.core.params import ObjectId
from facility.core.security import sign_value, unsign_value
from facility.rooms import service as rooms_service
from facility.rooms.models import Room

# Included by `router` under its /api/v1 prefix.
router = APIRouter()  # included by booking.router, which tags it
ROOM_FEED_SALT = "room-calendar"
ORG_FEED_SALT = "org-calendar"


# --- calendar feeds -------------------------------------------------------------------------


def room_feed_token(secret_key: str, room_id: int) -> str:
    return sign_value(secret_key, ROOM_FEED_SALT, str(room_id))


def org_feed_token(secret_key: str, org_id: int) -> str:
    return sign_value(secret_key, ORG_FEED_SALT, str(org_id))


def _ics(body: bytes) -> Response:
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300"},
    )


@router.get("/rooms/{room_id}/calendar.ics", responses=error_responses(NotFound))
def room_calendar(room_id: ObjectId, token: str, request: Request, session: DbSession) -> Response:
    """The room's bookings as an iCalendar feed, behind its secret token."""
    if unsign_value(request.app.state.secret_key, ROOM_FEED_SALT, token) != str(room_id):
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
    if unsign_value(request.app.state.secret_key, ORG_FEED_SALT, token) != str(org_id):
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
    links: dict[str, str] = {}
    if user.organization_id:
        links["organization"] = (
            f"/api/v1/organizations/{user.organization_id}/calendar.ics"
            f"?token={org_feed_token(secret, user.organization_id)}"
        )
    if room_id is not None:
        if not user.is_staff:
            raise Forbidden(_("Room feeds are for staff."))
        links["room"] = f"/api/v1/rooms/{room_id}/calendar.ics?token={room_feed_token(secret, room_id)}"
    return links
