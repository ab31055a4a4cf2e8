"""Invoices with gap-free sequential numbers per year, and payments recorded by managers."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, func, select

from facility.booking.common import local_zone
from facility.booking.exceptions import InvalidTransition, InvoiceNotFound
from facility.booking.models import (
    Booking,
    Invoice,
    InvoiceCounter,
    InvoiceStatus,
    Payment,
)
from facility.booking.pricing import VAT_PERCENT
from facility.core import audit
from facility.core.auth import ensure_role
from facility.core.db import utcnow
from facility.core.errors import InvalidInput
from facility.core.i18n import gettext as _
from facility.core.models import MANAGING_ROLES, Role, User

# Bank transfer within two weeks of the invoice, and in any case before the event.
PAYMENT_TERM = timedelta(days=14)


def next_number(session: Session, year: int) -> str:
    """The next invoice number of the year; the counter row stays locked until commit."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(InvoiceCounter)
        .values(year=year, last=1)
        .on_conflict_do_update(index_elements=["year"], set_={"last": col(InvoiceCounter.last) + 1})
        .returning(col(InvoiceCounter.last))
    )
    last = session.execute(statement).scalar_one()
    return f"{year}-{last:06d}"


def _issue(
    session: Session,
    actor: User | None,
    booking: Booking,
    *,
    kind: str,
    lines: list[dict[str, Any]],
    net: int,
    vat: int,
    due_on: date,
) -> Invoice:
    year = utcnow().astimezone(local_zone()).year
    invoice = Invoice(
        number=next_number(session, year),
        booking_id=booking.id,  # type: ignore[arg-type]
        organization_id=booking.organization_id,
        kind=kind,
        lines=lines,
        net=net,
        vat=vat,
        total=net + vat,
        due_on=due_on,
        # VAT charged means a tax invoice is owed; the officer may unmark a VAT-exempt one.
        taxable=vat > 0,
    )
    session.add(invoice)
    session.flush()
    audit.record(session, actor, "invoice.issue", "invoice", invoice.id, after=invoice)
    return invoice


def issue_for_booking(session: Session, actor: User | None, booking: Booking) -> Invoice:
    """The rental invoice from the booking's frozen quote."""
    quote = booking.quote
    lines = list(quote.get("lines", []))
    if quote.get("discount"):
        lines.append(
            {
                "key": "discount",
                "label_ko": f"감면 {quote['discount_percent']}%",
                "label_en": f"Reduction {quote['discount_percent']}%",
                "amount": -quote["discount"],
            }
        )
    today = utcnow().astimezone(local_zone()).date()
    term = timedelta(days=quote["payment_days"]) if "payment_days" in quote else PAYMENT_TERM
    due = min(today + term, booking.starts_at.astimezone(local_zone()).date())
    return _issue(
        session,
        actor,
        booking,
        kind="rental",
        lines=lines,
        net=quote.get("net", 0),
        vat=quote.get("vat", 0),
        due_on=max(due, today),
    )


def live_rental_invoice(session: Session, booking_id: int) -> Invoice | None:
    """The booking's rental invoice that is not void, if it has one."""
    return session.exec(
        select(Invoice).where(
            Invoice.booking_id == booking_id, Invoice.kind == "rental", Invoice.status != InvoiceStatus.void.value
        )
    ).first()


def reissue_for_booking(session: Session, actor: User | None, booking: Booking) -> Invoice | None:
    """After the booking's quote changed (a move to another room): void its unpaid rental invoice
    and issue one from the new quote. A paid one stays, and the move is refused."""
    invoice = live_rental_invoice(session, booking.id)  # type: ignore[arg-type]
    if invoice is None:
        return None
    if invoice.status != InvoiceStatus.issued.value or paid_total(session, invoice.id) > 0:  # type: ignore[arg-type]
        raise InvalidTransition(
            _("The rental invoice has payments at the old price; cancel and book the other room instead.")
        )
    before = audit.snapshot(invoice)
    invoice.status = InvoiceStatus.void.value
    session.add(invoice)
    audit.record(session, actor, "invoice.void", "invoice", invoice.id, before=before, after=invoice)
    session.flush()
    return issue_for_booking(session, actor, booking)


def booking_paid(session: Session, booking_id: int) -> int:
    """What the renter has paid on the booking's rental invoices (the refund when the Institute
    cancels)."""
    return int(
        session.exec(
            select(func.coalesce(func.sum(Payment.amount), 0))
            .join(Invoice, col(Invoice.id) == Payment.invoice_id)
            .where(Invoice.booking_id == booking_id, Invoice.kind == "rental")
        ).one()
    )


def on_cancelled(session: Session, actor: User | None, booking: Booking) -> None:
    """Void the unpaid rental invoice; bill the cancellation fee where one is due."""
    for invoice in session.exec(
        select(Invoice).where(Invoice.booking_id == booking.id, Invoice.status == InvoiceStatus.issued.value)
    ):
        before = audit.snapshot(invoice)
        invoice.status = InvoiceStatus.void.value
        session.add(invoice)
        audit.record(session, actor, "invoice.void", "invoice", invoice.id, before=before, after=invoice)
    if booking.cancellation_fee > 0:
        # The fee is a share of the VAT-inclusive total; split it back into net and VAT.
        net = booking.cancellation_fee * 100 // (100 + VAT_PERCENT)
        vat = booking.cancellation_fee - net
        today = utcnow().astimezone(local_zone()).date()
        _issue(
            session,
            actor,
            booking,
            kind="cancellation",
            lines=[
                {
                    "key": "cancellation",
                    "label_ko": "취소 수수료",
                    "label_en": "Cancellation fee",
                    "amount": net,
                }
            ],
            net=net,
            vat=vat,
            due_on=today + PAYMENT_TERM,
        )
    _credit_refund(session, actor, booking)
    session.flush()


def _credit_refund(session: Session, actor: User | None, booking: Booking) -> Invoice | None:
    """What the renter paid is owed back: a credit note (kind `refund`, negative amounts, due to
    be paid back within the payment term), so the refund is on the books and the renter's and the
    officer's invoice lists, not only in the notice. A fee is billed on its own invoice beside it."""
    paid = booking_paid(session, booking.id)  # type: ignore[arg-type]
    if paid <= 0:
        return None
    net = paid * 100 // (100 + VAT_PERCENT)
    today = utcnow().astimezone(local_zone()).date()
    return _issue(
        session,
        actor,
        booking,
        kind="refund",
        lines=[
            {"key": "refund", "label_ko": "환불 (납부액 반환)", "label_en": "Refund of the amount paid", "amount": -net}
        ],
        net=-net,
        vat=-(paid - net),
        due_on=today + PAYMENT_TERM,
    )


# Invoices are the renter's and the managers' business, not the crews'.
INVOICE_ROLES = (Role.renter, *MANAGING_ROLES)


def get_invoice(session: Session, actor: User, invoice_id: int) -> Invoice:
    ensure_role(actor, *INVOICE_ROLES)
    invoice = session.get(Invoice, invoice_id)
    if invoice is None or (not actor.is_staff and invoice.organization_id != actor.organization_id):
        raise InvoiceNotFound(invoice_id)
    return invoice


def list_invoices(
    session: Session, actor: User, *, status: str | None = None, booking_id: int | None = None
) -> list[Invoice]:
    ensure_role(actor, *INVOICE_ROLES)
    query = select(Invoice).order_by(col(Invoice.id).desc())
    if not actor.is_staff:
        query = query.where(Invoice.organization_id == actor.organization_id)
    if status:
        query = query.where(Invoice.status == status)
    if booking_id is not None:
        query = query.where(Invoice.booking_id == booking_id)
    return list(session.exec(query.limit(500)))


def add_payment(
    session: Session,
    actor: User,
    invoice_id: int,
    *,
    amount: int,
    paid_on: date,
    method: str = "bank_transfer",
    reference: str = "",
) -> tuple[Payment, Invoice]:
    """Record a bank transfer against an invoice locked for the purpose: the paid total is the sum
    of its payment rows, read under that lock, so racing payments add up and never pass the total."""
    ensure_role(actor, *MANAGING_ROLES)
    get_invoice(session, actor, invoice_id)
    invoice = session.get(Invoice, invoice_id, with_for_update=True, populate_existing=True)
    assert invoice is not None
    if invoice.status == InvoiceStatus.void.value:
        raise InvalidInput(_("This invoice is void."))
    paid = paid_total(session, invoice_id)
    if amount <= 0 or amount > invoice.total - paid:
        raise InvalidInput(_("The amount must be between 1 and {most} won.", most=invoice.total - paid))
    payment = Payment(
        invoice_id=invoice_id,
        amount=amount,
        paid_on=paid_on,
        method=method,  # type: ignore[arg-type]
        reference=reference.strip(),
        recorded_by_id=actor.id,
    )
    session.add(payment)
    before = audit.snapshot(invoice)
    invoice.paid = paid + amount
    if invoice.paid >= invoice.total:
        invoice.status = InvoiceStatus.paid.value
    session.add(invoice)
    session.flush()
    audit.record(session, actor, "invoice.payment", "invoice", invoice.id, before=before, after=invoice)
    return payment, invoice


def paid_total(session: Session, invoice_id: int) -> int:
    """What the payment rows of an invoice add up to: the one source of its `paid` column."""
    total = session.exec(select(func.coalesce(func.sum(Payment.amount), 0)).where(Payment.invoice_id == invoice_id))
    return int(total.one())


def revenue_summary(session: Session, actor: User) -> dict[str, int]:
    """Invoiced, received and outstanding amounts over all non-void invoices."""
    ensure_role(actor, *MANAGING_ROLES)
    row = session.exec(
        select(func.coalesce(func.sum(Invoice.total), 0), func.coalesce(func.sum(Invoice.paid), 0)).where(
            Invoice.status != InvoiceStatus.void.value
        )
    ).one()
    invoiced, received = int(row[0]), int(row[1])
    return {"invoiced": invoiced, "received": received, "outstanding": invoiced - received}


def set_taxable(session: Session, actor: User, invoice_id: int, taxable: bool) -> Invoice:
    """The officer marks whether a tax invoice is owed (a VAT-exempt rental, say); audited."""
    ensure_role(actor, *MANAGING_ROLES)
    invoice = get_invoice(session, actor, invoice_id)
    before = audit.snapshot(invoice)
    invoice.taxable = taxable
    session.add(invoice)
    session.flush()
    audit.record(session, actor, "invoice.taxable", "invoice", invoice.id, before=before, after=invoice)
    return invoice
