"""A campus for energy tests: a room, its thermostat and occupancy sensor, bookings by a renter."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from facility.booking import flows, service
from facility.booking.models import Booking
from facility.core.models import User
from facility.rooms.models import Room
from tests.booking.helpers import seoul


def book(session: Session, renter: User, manager: User, room: Room, day: date, start: int, end: int) -> Booking:
    """A renter's request for a local day's hours, approved and confirmed by a manager."""
    booking = service.request_booking(
        session,
        renter,
        {"room_id": room.id, "start": seoul(day, start), "end": seoul(day, end), "title": "워크숍", "attendees": 5},
    )
    flows.approve_booking(session, manager, booking.id)  # type: ignore[arg-type]
    if booking.status == "approved":
        flows.confirm_booking(session, manager, booking.id)  # type: ignore[arg-type]
    session.commit()
    return booking


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return seoul(day, hour, minute)
