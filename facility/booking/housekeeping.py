"""Housekeeping: expired holds and no-shows free their slots, finished bookings complete.

The scheduler runs these as jobs; the request path also runs a small batch lazily, so a slot frees
on time even before the scheduler's next tick.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from facility.booking import rules
from facility.booking.common import touch as _touch
from facility.booking.lifecycle import transition
from facility.booking.models import Booking, BookingStatus
from facility.core import audit

S = BookingStatus


def _lock_candidates(session: Session, query: Any) -> list[Booking]:
    """Rows to update, skipping those another transaction is already handling (PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.exec(query))


def expire_holds(session: Session, now: datetime, *, limit: int = 200) -> int:
    """Holds past their expiry free their slot."""
    due = _lock_candidates(
        session,
        select(Booking).where(Booking.status == S.held.value, col(Booking.hold_expires_at) < now).limit(limit),
    )
    for booking in due:
        transition(session, None, booking, S.expired, [S.held], free=True)
    return len(due)


def due_no_shows(now: datetime) -> Any:
    """Approved or confirmed bookings whose check-in grace has passed, oldest first: a range of
    `ix_booking_status_start` per status, however many future bookings there are. (The order is
    the index's: without it, PostgreSQL guesses a quarter of all bookings match, and with a LIMIT
    it chose to scan the whole table for them.)"""
    return (
        select(Booking)
        .where(
            col(Booking.status).in_([S.approved.value, S.confirmed.value]),
            Booking.starts_at < now - rules.CHECK_IN_GRACE,
        )
        .order_by(col(Booking.status), col(Booking.starts_at))
    )


def release_no_shows(session: Session, now: datetime, *, limit: int = 200) -> int:
    """Approved or confirmed bookings not checked in within the grace period are released."""
    due = _lock_candidates(session, due_no_shows(now).limit(limit))
    for booking in due:
        transition(session, None, booking, S.no_show, [S.approved, S.confirmed], free=True)
    return len(due)


def complete_finished(session: Session, now: datetime) -> int:
    due = _lock_candidates(
        session,
        select(Booking).where(Booking.status == S.checked_in.value, Booking.ends_at <= now).limit(500),
    )
    for booking in due:
        before = audit.snapshot(booking)
        booking.status = S.completed.value
        _touch(booking)
        session.add(booking)
        audit.record(session, None, "booking.completed", "booking", booking.id, before=before, after=booking)
    session.flush()
    return len(due)


# The request path does a little housekeeping only; the scheduler's jobs take larger batches.
LAZY_BATCH = 20


def housekeeping(session: Session, now: datetime) -> None:
    """Expire holds and release no-shows now, rather than wait for the scheduler's next tick."""
    expire_holds(session, now, limit=LAZY_BATCH)
    release_no_shows(session, now, limit=LAZY_BATCH)
