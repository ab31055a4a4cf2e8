"""The booking domain's scheduled jobs: hold expiry, no-shows, completion, unpaid bookings past
their deadline, reminders."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from facility.booking import deadlines, housekeeping, notify, waitlist
from facility.booking.models import Booking, BookingStatus
from facility.core.config import Settings
from facility.core.db import session_scope
from facility.core.jobs import Job


def expire_holds(engine: Engine, _settings: Settings, now: datetime) -> int:
    with session_scope(engine) as session:
        return housekeeping.expire_holds(session, now)


def release_no_shows(engine: Engine, _settings: Settings, now: datetime) -> int:
    with session_scope(engine) as session:
        released = housekeeping.release_no_shows(session, now)
        housekeeping.complete_finished(session, now)
        return released


def remind(session: Session, now: datetime, zone_name: str) -> int:
    """The day before a firm booking (local calendar day), remind the renter once."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(zone_name)
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    start = datetime.combine(tomorrow, datetime.min.time(), tzinfo=zone)
    due = session.exec(
        select(Booking).where(
            col(Booking.status).in_([BookingStatus.approved.value, BookingStatus.confirmed.value]),
            Booking.starts_at >= start,
            Booking.starts_at < start + timedelta(days=1),
            col(Booking.reminded_at).is_(None),
        )
    ).all()
    for booking in due:
        notify.notify_booking(session, booking, "reminder", zone_name)
        booking.reminded_at = now
        session.add(booking)
    session.flush()
    return len(due)


def offer_freed_slots(engine: Engine, _settings: Settings, now: datetime) -> int:
    with session_scope(engine) as session:
        return waitlist.offer_freed_slots(session, now)


def cancel_unpaid(engine: Engine, _settings: Settings, now: datetime) -> int:
    with session_scope(engine) as session:
        return deadlines.cancel_unpaid(session, now)


def send_reminders(engine: Engine, settings: Settings, now: datetime) -> int:
    with session_scope(engine) as session:
        return remind(session, now, settings.timezone)


JOBS = [
    Job("booking.expire_holds", 60, expire_holds),
    Job("booking.release_no_shows", 120, release_no_shows),
    Job("booking.cancel_unpaid", 600, cancel_unpaid),
    Job("booking.offer_freed_slots", 60, offer_freed_slots),
    Job("booking.send_reminders", 900, send_reminders),
]
