"""A booking's life after the request: submitted, approved, rejected, confirmed, cancelled, checked in.

Every change goes through `transition`: it checks the move is allowed, audits it, tells the people
concerned and, when the booking ends early, frees its claims and offers the slot to the waitlist.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session

from facility.booking import claims, notify, pricing, rules
from facility.booking.common import local_zone
from facility.booking.common import touch as _touch
from facility.booking.exceptions import BookingNotFound, InvalidTransition
from facility.booking.models import Booking, BookingStatus
from facility.booking.queries import get_booking
from facility.core import audit
from facility.core.auth import ensure_role
from facility.core.db import utcnow
from facility.core.errors import Forbidden, InvalidInput
from facility.core.models import MANAGING_ROLES, User

S = BookingStatus


def transition(
    session: Session,
    actor: User | None,
    booking: Booking,
    to: BookingStatus,
    allowed_from: Iterable[BookingStatus],
    *,
    reason: str = "",
    event: str | None = None,
    free: bool = False,
) -> Booking:
    """Change the status if `allowed_from` permits it; `free` releases the claims and offers the slot."""
    if booking.status not in {s.value for s in allowed_from}:
        raise InvalidTransition(f"A {booking.status} booking cannot become {to.value}.")
    before = audit.snapshot(booking)
    booking.status = to.value
    if reason:
        booking.status_reason = reason
    _touch(booking)
    if free:
        claims.release_booking(session, booking.id)  # type: ignore[arg-type]
    session.add(booking)
    session.flush()
    audit.record(session, actor, f"booking.{to.value}", "booking", booking.id, before=before, after=booking)
    notify.notify_booking(session, booking, event or to.value, local_zone().key, note=reason)
    if free:
        from facility.booking import waitlist

        waitlist.offer_freed_slot(session, booking.room_id, booking.starts_at, booking.ends_at)
    return booking


def submit_hold(session: Session, actor: User, booking_id: int, *, now: datetime | None = None) -> Booking:
    """A renter turns their hold into a request before it expires."""
    booking = get_booking(session, actor, booking_id)
    now = now or utcnow()
    if booking.status == S.held and booking.hold_expires_at and booking.hold_expires_at < now:
        transition(session, None, booking, S.expired, [S.held], free=True)
        raise InvalidTransition("The hold has expired; search again.")
    booking.hold_expires_at = None
    return transition(session, actor, booking, S.requested, [S.held])


def approve_booking(session: Session, actor: User, booking_id: int) -> Booking:
    """A manager approves a request; the invoice is issued (a free booking is confirmed at once)."""
    ensure_role(actor, *MANAGING_ROLES)
    booking = get_booking(session, actor, booking_id)
    if booking.displaced_by_block_id is not None:
        raise InvalidTransition("An Institute block displaced this request: move it first.")
    booking.decided_at = utcnow()
    transition(session, actor, booking, S.approved, [S.requested, S.held])
    from facility.booking import invoices

    if booking.price_total > 0:
        invoices.issue_for_booking(session, actor, booking)
    else:
        transition(session, actor, booking, S.confirmed, [S.approved])
    return booking


def reject_booking(session: Session, actor: User, booking_id: int, reason: str) -> Booking:
    ensure_role(actor, *MANAGING_ROLES)
    if not reason.strip():
        raise InvalidInput("Give a reason for the rejection.")
    booking = get_booking(session, actor, booking_id)
    booking.decided_at = utcnow()
    return transition(session, actor, booking, S.rejected, [S.requested, S.held], reason=reason.strip(), free=True)


def confirm_booking(session: Session, actor: User | None, booking_id: int) -> Booking:
    """Approved and paid (or confirmed by a manager): the booking is firm."""
    if actor is not None:
        ensure_role(actor, *MANAGING_ROLES)
    booking = session.get(Booking, booking_id)
    if booking is None:
        raise BookingNotFound(booking_id)
    return transition(session, actor, booking, S.confirmed, [S.approved])


def cancel_booking(
    session: Session, actor: User, booking_id: int, reason: str = "", *, now: datetime | None = None
) -> Booking:
    """Renters cancel their organisation's bookings (fees by schedule); managers give a reason."""
    booking = get_booking(session, actor, booking_id)
    now = now or utcnow()
    manager = actor.is_manager
    if manager and not reason.strip() and booking.user_id != actor.id:
        raise InvalidInput("Give a reason for cancelling a renter's booking.")
    if not manager and actor.is_staff:
        raise Forbidden("Only managers and the renter may cancel a booking.")
    if booking.ends_at <= now and booking.status in {S.checked_in, S.completed}:
        raise InvalidTransition("A booking that has taken place cannot be cancelled.")
    fee = 0
    if not manager and booking.status in {S.approved, S.confirmed}:
        percent = pricing.cancellation_percent(booking.starts_at, now, local_zone())
        fee = booking.price_total * percent // 100
    booking.cancellation_fee = fee
    booking.cancelled_at = now
    transition(
        session,
        actor,
        booking,
        S.cancelled,
        [S.held, S.requested, S.approved, S.confirmed],
        reason=reason.strip(),
        free=True,
    )
    from facility.booking import invoices

    invoices.on_cancelled(session, actor, booking)
    return booking


def check_in(session: Session, actor: User, booking_id: int, *, now: datetime | None = None) -> Booking:
    """The renter (from the room's QR page) or staff marks the booking as started."""
    booking = get_booking(session, actor, booking_id)
    now = now or utcnow()
    if now < booking.starts_at - rules.CHECK_IN_EARLY:
        raise InvalidTransition("Check-in opens 30 minutes before the start.")
    if now >= booking.ends_at:
        raise InvalidTransition("The booking has ended.")
    booking.checked_in_at = now
    return transition(session, actor, booking, S.checked_in, [S.approved, S.confirmed])
