"""What each lifecycle action does besides moving the status: approve issues the invoice, cancel
voids it or bills the fee, a full payment confirms, and every change tells the people concerned.

Each flow locks the booking, checks who may act, moves the status through `lifecycle.apply` (the
atomic, audited step) and then runs its side effects in the same transaction, importing only
downwards. Freed slots reach the waitlist through a job (`waitlist.offer_freed_slots`), never
inside the request of the renter who freed them.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from facility.booking import invoices, lifecycle, notify, pricing, reductions, rules
from facility.booking.common import local_zone
from facility.booking.exceptions import BookingNotFound, InvalidTransition
from facility.booking.models import Booking, BookingStatus, InvoiceStatus, Payment
from facility.booking.queries import get_booking
from facility.core.auth import ensure_role
from facility.core.db import utcnow
from facility.core.errors import Forbidden, InvalidInput
from facility.core.i18n import gettext as _
from facility.core.models import MANAGING_ROLES, User

S = BookingStatus


def _tell(session: Session, booking: Booking, event: str, note: str = "") -> None:
    notify.notify_booking(session, booking, event, local_zone().key, note=note)


def submit_hold(session: Session, actor: User, booking_id: int, *, now: datetime | None = None) -> Booking:
    """A renter turns their hold into a request before it expires."""
    if actor.is_staff and not actor.is_manager:
        raise Forbidden(_("Only managers and the renter may change a booking."))
    booking = get_booking(session, actor, booking_id, lock=True)
    now = now or utcnow()
    if booking.status == S.held and booking.hold_expires_at and booking.hold_expires_at < now:
        raise InvalidTransition(_("The hold has expired; search again."))
    lifecycle.apply(session, actor, booking, S.requested, hold_expires_at=None)
    _tell(session, booking, S.requested.value)
    return booking


def approve_booking(session: Session, actor: User, booking_id: int) -> Booking:
    """A manager approves a request; the invoice is issued (a free booking is confirmed at once)."""
    ensure_role(actor, *MANAGING_ROLES)
    booking = get_booking(session, actor, booking_id, lock=True)
    if booking.displaced_by_block_id is not None:
        raise InvalidTransition(_("An Institute block displaced this request: move it first."))
    return approve(session, actor, booking)


def approve(session: Session, actor: User, booking: Booking, *, tell: bool = True) -> Booking:
    """Approve a locked (or just inserted) request and issue its invoice from the stored quote, or
    confirm it when nobody is billed (a free slot, or the Institute's own booking without an
    organisation): the one approval, for a manager's decision and a staff booking alike."""
    ensure_role(actor, *MANAGING_ROLES)
    reductions.ensure_price_final(session, booking)
    lifecycle.apply(session, actor, booking, S.approved, only_from=[S.requested, S.held], decided_at=utcnow())
    if tell:
        _tell(session, booking, S.approved.value)
    if booking.price_total > 0 and booking.organization_id is not None:
        invoices.issue_for_booking(session, actor, booking)
    else:
        lifecycle.apply(session, actor, booking, S.confirmed)
        if tell:
            _tell(session, booking, S.confirmed.value)
    return booking


def reject_booking(session: Session, actor: User, booking_id: int, reason: str) -> Booking:
    ensure_role(actor, *MANAGING_ROLES)
    if not reason.strip():
        raise InvalidInput(_("Give a reason for the rejection."))
    booking = get_booking(session, actor, booking_id, lock=True)
    lifecycle.apply(
        session,
        actor,
        booking,
        S.rejected,
        only_from=[S.requested, S.held],
        decided_at=utcnow(),
        status_reason=reason.strip(),
    )
    _tell(session, booking, S.rejected.value, reason.strip())
    return booking


def confirm_booking(session: Session, actor: User, booking_id: int) -> Booking:
    """A manager confirms an approved booking without waiting for its payment."""
    ensure_role(actor, *MANAGING_ROLES)
    booking = get_booking(session, actor, booking_id, lock=True)
    lifecycle.apply(session, actor, booking, S.confirmed)
    _tell(session, booking, S.confirmed.value)
    return booking


def cancellation_fee(booking: Booking, actor: User, now: datetime | None = None) -> int:
    """What cancelling now costs this actor: renters pay by the schedule once a booking is
    approved; a manager's cancellation costs the renter nothing."""
    if actor.is_manager or booking.status not in {S.approved, S.confirmed}:
        return 0
    table = booking.quote.get("refund_table")
    percent = pricing.cancellation_percent(booking.starts_at, now or utcnow(), local_zone(), table)
    return booking.price_total * percent // 100


def cancel_booking(
    session: Session, actor: User, booking_id: int, reason: str = "", *, now: datetime | None = None
) -> Booking:
    """Renters cancel their organisation's bookings (fees by schedule); managers give a reason."""
    booking = get_booking(session, actor, booking_id, lock=True)
    now = now or utcnow()
    manager = actor.is_manager
    if not manager and actor.is_staff:
        raise Forbidden(_("Only managers and the renter may cancel a booking."))
    if manager and not reason.strip() and booking.user_id != actor.id:
        raise InvalidInput(_("Give a reason for cancelling a renter's booking."))
    if booking.ends_at <= now and booking.status in {S.checked_in, S.completed}:
        raise InvalidTransition(_("A booking that has taken place cannot be cancelled."))
    fee = cancellation_fee(booking, actor, now)
    lifecycle.apply(
        session,
        actor,
        booking,
        S.cancelled,
        cancellation_fee=fee,
        cancelled_at=now,
        status_reason=reason.strip() or booking.status_reason,
    )
    invoices.on_cancelled(session, actor, booking)
    _tell(session, booking, S.cancelled.value, reason.strip())
    return booking


def cancel_for_institution(
    session: Session, actor: User, booking_id: int, reason: str, *, now: datetime | None = None
) -> Booking:
    """The Institute takes the slot back for its own public purpose (its courses come first): no
    fee, the whole amount refunded, and an apology to the renter."""
    ensure_role(actor, *MANAGING_ROLES)
    if not reason.strip():
        raise InvalidInput(_("Give the public purpose the room is needed for."))
    booking = get_booking(session, actor, booking_id, lock=True)
    now = now or utcnow()
    if booking.ends_at <= now:
        raise InvalidTransition(_("A booking that has taken place cannot be cancelled."))
    lifecycle.apply(
        session,
        actor,
        booking,
        S.cancelled,
        action="booking.cancel_institution",
        cancellation_fee=0,
        cancelled_at=now,
        status_reason=reason.strip(),
    )
    invoices.on_cancelled(session, actor, booking)
    refund = invoices.booking_paid(session, booking.id)  # type: ignore[arg-type]
    _tell(session, booking, "institution_cancel", f"{reason.strip()} (환불 Refund: {refund:,}원)")
    return booking


def check_in(session: Session, actor: User, booking_id: int, *, now: datetime | None = None) -> Booking:
    """The renter (from the room's QR page) or staff marks the booking as started."""
    booking = get_booking(session, actor, booking_id, lock=True)
    now = now or utcnow()
    if now < booking.starts_at - rules.CHECK_IN_EARLY:
        raise InvalidTransition(_("Check-in opens 30 minutes before the start."))
    if now >= booking.ends_at:
        raise InvalidTransition(_("The booking has ended."))
    lifecycle.apply(session, actor, booking, S.checked_in, checked_in_at=now)
    _tell(session, booking, S.checked_in.value)
    return booking


def record_payment(
    session: Session,
    actor: User,
    invoice_id: int,
    *,
    amount: int,
    paid_on: date,
    method: str = "bank_transfer",
    reference: str = "",
) -> Payment:
    """A manager records a bank transfer; the payment that settles a rental invoice confirms its
    booking."""
    # The booking is locked before the invoice, in the order every flow takes them (cancelling
    # locks the booking, then voids its invoice): the other order deadlocked a late payment with
    # the deadline job cancelling the same booking.
    ensure_role(actor, *MANAGING_ROLES)
    booking_id = invoices.get_invoice(session, actor, invoice_id).booking_id
    booking = session.get(Booking, booking_id, with_for_update=True, populate_existing=True)
    if booking is None:
        raise BookingNotFound(booking_id)
    payment, invoice = invoices.add_payment(
        session, actor, invoice_id, amount=amount, paid_on=paid_on, method=method, reference=reference
    )
    if invoice.status != InvoiceStatus.paid.value or invoice.kind != "rental":
        return payment
    if booking.status == S.approved.value:
        lifecycle.apply(session, actor, booking, S.confirmed)
        _tell(session, booking, S.confirmed.value)
    return payment
