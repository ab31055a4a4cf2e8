"""The renter's papers, in Korean whatever the page language: the use permit (사용허가서) of an
approved booking and the receipt (영수증) of a paid invoice, as PDF with the font embedded.

The issuer (name, business number, representative, account, seal) comes from the
FACILITY_INSTITUTION_* settings; what is unset is left off, never replaced by a placeholder.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fpdf import FPDF
from sqlmodel import Session, col, select

from facility.booking import invoices, queries
from facility.booking.common import local_zone
from facility.booking.models import FIRM_STATUSES, Booking, Invoice, Payment
from facility.core.auth import ensure_role
from facility.core.config import InstitutionSettings, active_settings
from facility.core.errors import Conflict, FacilityError
from facility.core.i18n import gettext as _
from facility.core.i18n import translate
from facility.core.models import Organization, User
from facility.core.pdf import PdfFontMissing, korean_document, render
from facility.rooms.models import Building, Room

# The permit's conditions (허가 조건), as the education offices' facility-opening rules put them.
PERMIT_CONDITIONS = (
    "permit.condition_purpose",
    "permit.condition_transfer",
    "permit.condition_damage",
    "permit.condition_revoke",
    "permit.condition_restore",
)
SEAL_SIZE_MM = 22


class DocumentUnavailable(FacilityError):
    """No Korean font: the operator must install one (doctor says so too)."""

    status_code = 503
    code = "pdf_font_missing"


def _document(title: str) -> FPDF:
    try:
        return korean_document(title)
    except PdfFontMissing as error:
        raise DocumentUnavailable(_("Documents cannot be made now: {reason}", reason=str(error))) from error


def ko(key: str) -> str:
    return translate(key, "ko")


def permit_number(booking: Booking) -> str:
    """제YYYY-NNNNNN호: the year of use and the booking's id, so the number is stable and unique."""
    return f"{booking.starts_at.astimezone(local_zone()).year}-{booking.id:06d}"


def _issuer() -> InstitutionSettings:
    return active_settings().institution


def _local(moment: datetime, fmt: str = "%Y년 %m월 %d일 %H:%M") -> str:
    return moment.astimezone(local_zone()).strftime(fmt)


def _facts(pdf: FPDF, rows: list[tuple[str, str]]) -> None:
    """A two-column table of label and value; long values wrap inside their cell."""
    with pdf.table(col_widths=(35, 145), text_align="LEFT", first_row_as_headings=False) as table:
        for label, value in rows:
            row = table.row()
            row.cell(label)
            row.cell(value or "-")


def _signature(pdf: FPDF, issuer: InstitutionSettings, day: datetime) -> None:
    """The date, the issuer's name and, when configured, the seal stamped over its end."""
    pdf.ln(8)
    pdf.cell(0, 8, _local(day, "%Y년 %m월 %d일"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(size=15)
    name = issuer.name or ko("app.org")
    if issuer.representative:
        name = f"{name} {issuer.representative}"
    y = pdf.get_y()
    pdf.cell(0, 10, name, align="C", new_x="LMARGIN", new_y="NEXT")
    if issuer.seal_image and Path(issuer.seal_image).is_file():
        x = pdf.w / 2 + pdf.get_string_width(name) / 2 - SEAL_SIZE_MM / 2
        pdf.image(issuer.seal_image, x=x, y=y - SEAL_SIZE_MM / 2 + 5, w=SEAL_SIZE_MM, h=SEAL_SIZE_MM)
    pdf.set_font(size=11)


def permit_pdf(session: Session, actor: User, booking_id: int) -> tuple[str, bytes]:
    """The use permit of an approved booking (the renter's own, or any for staff): number and PDF."""
    # Crews see no prices, and the permit states the fee.
    ensure_role(actor, *invoices.INVOICE_ROLES)
    booking = queries.get_booking(session, actor, booking_id)
    if booking.status not in {s.value for s in FIRM_STATUSES}:
        raise Conflict(_("A use permit is issued once the booking is approved."), code="not_approved")
    room = session.get(Room, booking.room_id)
    building = session.get(Building, room.building_id) if room else None
    org = session.get(Organization, booking.organization_id) if booking.organization_id else None
    renter = session.get(User, booking.user_id) if booking.user_id else None
    issuer = _issuer()
    number = permit_number(booking)
    pdf = _document(ko("permit.title"))
    pdf.set_font(size=11)
    pdf.cell(0, 6, ko("permit.number_label").format(number=number), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(size=22)
    pdf.cell(0, 18, ko("permit.title"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(size=11)
    applicant = org.name if org else ""
    if org and org.business_number:
        applicant += f" ({org.business_number})"
    person = renter.full_name if renter and not renter.withdrawn_at else ""
    place = " ".join(filter(None, [building.name_ko if building else "", room.name_ko if room else ""]))
    period = f"{_local(booking.starts_at)} ~ {_local(booking.ends_at, '%H:%M')}"
    _facts(
        pdf,
        [
            (ko("permit.applicant"), applicant),
            (ko("permit.person"), person),
            (ko("permit.place"), f"{place} ({room.code})" if room else ""),
            (ko("permit.period"), period),
            (ko("permit.purpose"), booking.title),
            (ko("permit.attendees"), f"{booking.attendees}명"),
            (ko("permit.fee"), f"{booking.price_total:,}원"),
        ],
    )
    pdf.ln(4)
    pdf.multi_cell(0, 7, ko("permit.body"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.cell(0, 7, ko("permit.conditions"), new_x="LMARGIN", new_y="NEXT")
    for index, key in enumerate(PERMIT_CONDITIONS, start=1):
        pdf.multi_cell(0, 6, f"{index}. {ko(key)}", new_x="LMARGIN", new_y="NEXT")
    _signature(pdf, issuer, booking.decided_at or booking.created_at)
    return number, render(pdf)


def receipt_pdf(session: Session, actor: User, invoice_id: int) -> tuple[Invoice, bytes]:
    """The receipt of what was paid on an invoice (the renter's own, or any for managers)."""
    invoice = invoices.get_invoice(session, actor, invoice_id)
    payments = list(session.exec(select(Payment).where(Payment.invoice_id == invoice.id).order_by(col(Payment.id))))
    if not payments:
        raise Conflict(_("A receipt is issued once a payment is recorded."), code="not_paid")
    booking = session.get(Booking, invoice.booking_id)
    org = session.get(Organization, invoice.organization_id) if invoice.organization_id else None
    issuer = _issuer()
    pdf = _document(ko("receipt.title"))
    pdf.set_font(size=22)
    pdf.cell(0, 18, ko("receipt.title"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(size=11)
    payer = org.name if org else ""
    if org and org.business_number:
        payer += f" ({org.business_number})"
    supplier = issuer.name or ko("app.org")
    if issuer.business_number:
        supplier += f" ({issuer.business_number})"
    _facts(
        pdf,
        [
            (ko("receipt.invoice"), invoice.number),
            (ko("receipt.payer"), payer),
            (ko("receipt.supplier"), supplier),
            (ko("receipt.for"), booking.title if booking else ""),
            (ko("price.net"), f"{invoice.net:,}원"),
            (ko("price.vat"), f"{invoice.vat:,}원"),
            (ko("price.total"), f"{invoice.total:,}원"),
        ],
    )
    pdf.ln(4)
    for payment in payments:
        line = ko("receipt.payment_line").format(day=payment.paid_on.isoformat(), amount=f"{payment.amount:,}")
        pdf.cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.cell(0, 8, ko("receipt.received").format(amount=f"{invoice.paid:,}"), new_x="LMARGIN", new_y="NEXT")
    if issuer.bank_account:
        pdf.cell(0, 7, f"{ko('invoice.bank')}: {issuer.bank_account}", new_x="LMARGIN", new_y="NEXT")
    _signature(pdf, issuer, max(p.created_at for p in payments))
    return invoice, render(pdf)
