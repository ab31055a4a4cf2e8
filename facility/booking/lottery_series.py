"""Long-term allocation by lottery: in a series lottery each slot is the first occurrence of a
recurring series (e.g. every Tuesday 19:00-21:00 for a term); a winner is booked the whole series
through the one booking path, all occurrences or none, so a clash on any date refuses the entry
(the next in the draw's order gets its chance) instead of handing out half a term."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session

from facility.booking import service
from facility.booking.common import local_zone
from facility.booking.models import Booking, BookingSeries
from facility.booking.recurrence import expand, occurrence_key
from facility.booking.rental_models import Lottery, LotteryEntry
from facility.core import audit
from facility.core.errors import FacilityError
from facility.core.models import User


def book_series(
    session: Session, actor: User, lottery: Lottery, entry: LotteryEntry, start: datetime, end: datetime, now: datetime
) -> Booking | None:
    """Book every occurrence of the entry's series for its organisation (approved and invoiced
    like a staff booking, each one the applicant's); the first booking, or None when any
    occurrence is refused. Sets `entry.series_id`."""
    first = start.astimezone(local_zone())
    length = end.astimezone(local_zone()) - first
    try:
        with session.begin_nested():
            row = BookingSeries(
                room_id=lottery.room_id,
                organization_id=entry.organization_id,
                user_id=entry.user_id,
                title=entry.title,
                attendees=entry.attendees,
                rrule=lottery.rrule,
                first_starts_at=first.astimezone(UTC),
                duration_minutes=int(length.total_seconds() // 60),
            )
            session.add(row)
            session.flush()
            bookings = []
            for local_start in expand(lottery.rrule, first):
                booking = service.request_booking(
                    session,
                    actor,
                    {
                        "room_id": lottery.room_id,
                        "start": local_start,
                        "end": local_start + length,
                        "title": entry.title,
                        "attendees": entry.attendees,
                        "purpose": entry.purpose,
                        "organization_id": entry.organization_id,
                    },
                    now=now,
                    series_id=row.id,
                    occurrence_key=occurrence_key(local_start),
                    notify_people=False,
                )
                booking.user_id = entry.user_id
                session.add(booking)
                bookings.append(booking)
            session.flush()
    except FacilityError:
        return None
    entry.series_id = row.id
    audit.record(session, actor, "series.create", "booking_series", row.id, after=row)
    return bookings[0]
