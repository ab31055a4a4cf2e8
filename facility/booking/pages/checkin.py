"""The QR check-in page beside each room's door: the signed code names the room, the renter checks in."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from facility.booking import flows, queries, rules
from facility.booking.models import Booking
from facility.booking.pages.dates import today
from facility.core.auth import CurrentUser, DbSession
from facility.core.db import utcnow
from facility.core.errors import NotFound
from facility.core.i18n import gettext as _
from facility.core.models import User
from facility.core.security import unsign_value
from facility.core.web import render
from facility.rooms.models import Room

router = APIRouter(include_in_schema=False)
# The console signs the QR code's token with this salt.
CHECKIN_SALT = "room-checkin"


def _checkin_room(request: Request, session: Session, room_id: int, token: str) -> Room:
    if unsign_value(request.app.state.secret_key, CHECKIN_SALT, token) != str(room_id):
        raise NotFound(_("This check-in code is not valid."))
    room = session.get(Room, room_id)
    if room is None:
        raise NotFound(_("This check-in code is not valid."))
    return room


def _todays(request: Request, session: Session, user: User, room: Room) -> list[Booking]:
    """Today's bookings of the room, and any whose check-in has opened: at 23:50 a booking at
    00:10 is already checkable and must be on the page."""
    zone = request.app.state.settings.zone
    start = datetime.combine(today(request), time(0), tzinfo=zone).astimezone(UTC)
    end = max(start + timedelta(days=1), utcnow() + rules.CHECK_IN_EARLY)
    found = queries.bookings_between(session, start, end, room_ids=[room.id])  # type: ignore[list-item]
    return [b for b in found if user.is_staff or b.organization_id == user.organization_id]


@router.get("/checkin/{room_id}")
def checkin_page(request: Request, room_id: int, token: str, session: DbSession, user: CurrentUser) -> Response:
    room = _checkin_room(request, session, room_id, token)
    context = {
        "room": room,
        "token": token,
        "bookings": _todays(request, session, user, room),
        "done": None,
    }
    return render(request, "booking/checkin.html", context)


@router.post("/checkin/{room_id}")
def checkin(
    request: Request,
    room_id: int,
    session: DbSession,
    user: CurrentUser,
    token: Annotated[str, Form()],
    booking_id: Annotated[int, Form()],
) -> Response:
    room = _checkin_room(request, session, room_id, token)
    booking = flows.check_in(session, user, booking_id)
    if booking.room_id != room.id:
        raise NotFound(_("This booking is not in this room."))
    context = {
        "room": room,
        "token": token,
        "bookings": _todays(request, session, user, room),
        "done": booking,
    }
    return render(request, "booking/checkin.html", context)
