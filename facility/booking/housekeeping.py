"""Housekeeping: expired holds and no-shows free their slots, finished bookings complete.

The scheduler runs these as jobs (`tasks.py`); no renter's request runs them, so one renter's
request never changes or notifies another renter's booking.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from facility.booking import lifecycle, notify, rules
from facility.booking.common import local_zone
from facility.booking.exceptions import InvalidTransition
from facility.booking.models import Booking, BookingStatus

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
    return _move_all(session, due, S.expired)


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
    return _move_all(session, due, S.no_show)


def complete_finished(session: Session, now: datetime) -> int:
    due = _lock_candidates(
        session,
        select(Booking).where(Booking.status == S.checked_in.value, Booking.ends_at <= now).limit(500),
    )
    return _move_all(session, due, S.completed, tell=False)


def _move_all(session: Session, due: list[Booking], to: BookingStatus, *, tell: bool = True) -> int:
    """Move each booking (skipping one a person changed meanwhile) and tell its renter."""
    moved = 0
    for booking in due:
        try:
            lifecycle.apply(session, None, booking, to)
        except InvalidTransition:
            continue
        if tell:
            notify.notify_booking(session, booking, to.value, local_zone().key)
        moved += 1
    session.flush()
    return moved
