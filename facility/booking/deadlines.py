"""Payment deadlines per fee schedule (frozen on each quote): the advance (계약금) within
`payment_days` of approval, the balance `balance_days_before` the start. An approved booking that
misses one is cancelled by the job without a fee; its freed slot reaches the waitlist through the
waitlist job, and a lottery winner's place goes to the next in the draw's order."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session, select

from facility.booking import invoices, lifecycle, lottery, notify
from facility.booking.common import local_zone
from facility.booking.models import Booking, BookingStatus, Invoice, InvoiceStatus

S = BookingStatus


def due_amounts(booking: Booking, approved_on: date) -> list[tuple[date, int]]:
    """(due date, amount that must have been paid by then), earliest first."""
    quote = booking.quote
    total = booking.price_total
    start_day = booking.starts_at.astimezone(local_zone()).date()
    first = min(approved_on + timedelta(days=int(quote.get("payment_days", 14))), start_day)
    advance = total * int(quote.get("advance_percent", 0)) // 100
    if not advance:
        return [(first, total)]
    balance_day = max(start_day - timedelta(days=int(quote.get("balance_days_before", 0))), first)
    return [(first, advance), (balance_day, total)]


def overdue(booking: Booking, paid: int, today: date) -> bool:
    approved_on = (booking.decided_at or booking.created_at).astimezone(local_zone()).date()
    return any(today > due and paid < amount for due, amount in due_amounts(booking, approved_on))


def cancel_unpaid(session: Session, now: datetime, *, limit: int = 200) -> int:
    """The deadline job: cancel approved bookings whose rental invoice is short past a due date."""
    today = now.astimezone(local_zone()).date()
    rows = session.exec(
        select(Booking, Invoice)
        .join(Invoice, Invoice.booking_id == Booking.id)  # type: ignore[arg-type]
        .where(
            Booking.status == S.approved.value,
            Invoice.kind == "rental",
            Invoice.status == InvoiceStatus.issued.value,
            Invoice.due_on < today,
        )
        .limit(limit)
    ).all()
    cancelled = 0
    for booking, invoice in rows:
        if not overdue(booking, invoice.paid, today):
            continue
        session.refresh(booking, with_for_update=True)
        # A payment locks the booking before its invoice (flows.record_payment): once we hold the
        # booking, the invoice read again is final for this decision.
        session.refresh(invoice)
        if booking.status != S.approved.value or invoice.status != InvoiceStatus.issued.value:
            continue
        if not overdue(booking, invoice.paid, today):
            continue
        lifecycle.apply(
            session,
            None,
            booking,
            S.cancelled,
            action="booking.payment_lapsed",
            cancellation_fee=0,
            cancelled_at=now,
            status_reason="payment deadline passed / 납부 기한 경과",
        )
        invoices.on_cancelled(session, None, booking)
        notify.notify_booking(session, booking, "payment_lapsed", local_zone().key)
        lottery.promote_runner_up(session, booking, now)
        cancelled += 1
    session.flush()
    return cancelled
