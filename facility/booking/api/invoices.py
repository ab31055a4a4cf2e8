"""JSON API of invoices and payments, and of the waitlist."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from facility.booking import documents, flows, invoices, tax_invoices, waitlist
from facility.booking.api.bookings import pdf_response
from facility.booking.exceptions import InvoiceNotFound
from facility.booking.models import Invoice
from facility.booking.schemas import InvoicePublic, PaymentCreate, WaitlistCreate
from facility.core import exports
from facility.core.auth import CurrentUser, DbSession, ensure_role
from facility.core.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    error_responses,
)
from facility.core.i18n import gettext as _
from facility.core.idempotency import IDEMPOTENT
from facility.core.models import MANAGING_ROLES
from facility.core.params import ObjectId
from facility.rooms import service as rooms_service

# Included by `router` under its /api/v1 prefix.
router = APIRouter()  # included by booking.router, which tags it


# --- invoices -------------------------------------------------------------------------------


def invoice_public(invoice: Invoice) -> InvoicePublic:
    return InvoicePublic.model_validate(invoice, from_attributes=True)


@router.get("/invoices", response_model=list[InvoicePublic], responses=error_responses(NotAuthenticated))
def list_invoices(
    session: DbSession, user: CurrentUser, status: str | None = None, booking_id: int | None = None
) -> list[InvoicePublic]:
    return [invoice_public(i) for i in invoices.list_invoices(session, user, status=status, booking_id=booking_id)]


@router.get(
    "/invoices/{invoice_id}",
    response_model=InvoicePublic,
    responses=error_responses(InvoiceNotFound),
)
def read_invoice(invoice_id: ObjectId, session: DbSession, user: CurrentUser) -> InvoicePublic:
    return invoice_public(invoices.get_invoice(session, user, invoice_id))


@router.post(
    "/invoices/{invoice_id}/payments",
    response_model=InvoicePublic,
    status_code=201,
    responses=error_responses(InvoiceNotFound, Forbidden, InvalidInput),
    dependencies=[IDEMPOTENT],
)
def record_payment(invoice_id: ObjectId, body: PaymentCreate, session: DbSession, user: CurrentUser) -> InvoicePublic:
    flows.record_payment(session, user, invoice_id, **body.model_dump())
    return invoice_public(invoices.get_invoice(session, user, invoice_id))


class TaxableMark(BaseModel):
    taxable: bool


@router.put(
    "/invoices/{invoice_id}/taxable",
    response_model=InvoicePublic,
    responses=error_responses(InvoiceNotFound, Forbidden),
)
def mark_taxable(invoice_id: ObjectId, body: TaxableMark, session: DbSession, user: CurrentUser) -> InvoicePublic:
    """Mark whether a 전자세금계산서 is owed for the invoice (set when VAT is charged)."""
    return invoice_public(invoices.set_taxable(session, user, invoice_id, body.taxable))


@router.get(
    "/invoices/{invoice_id}/receipt.pdf",
    response_class=Response,
    responses={
        **error_responses(InvoiceNotFound, Conflict, documents.DocumentUnavailable),
        200: {"content": {"application/pdf": {}}, "description": "the receipt (영수증)"},
    },
)
def receipt_pdf(invoice_id: ObjectId, session: DbSession, user: CurrentUser) -> Response:
    """The receipt of what was paid on an invoice, in Korean; renters get only their own."""
    invoice, content = documents.receipt_pdf(session, user, invoice_id)
    return pdf_response(content, f"receipt-{invoice.number}.pdf")


@router.get(
    "/tax-invoices.csv",
    response_class=Response,
    responses={**error_responses(Forbidden, Conflict, InvalidInput), 200: {"content": {"text/csv": {}}}},
)
def tax_invoices_csv(session: DbSession, user: CurrentUser, month: str = "", format: str = "csv") -> Response:
    """Taxable invoices of a month (YYYY-MM) in the 홈택스 bulk-issuance sheet's columns, as CSV or
    (`format=xlsx`) the workbook 홈택스 uploads; the header `X-Skipped-No-Business-Number` counts
    invoices left out for want of the buyer's number."""
    ensure_role(user, *MANAGING_ROLES)
    first = exports.month("month", month)
    if first is None:
        raise InvalidInput(_("The parameter {name} must be a month written YYYY-MM.", name="month"))
    kind = exports.choice("format", format, ("csv", "xlsx"))
    rows, skipped = tax_invoices.export_rows(session, user, first)
    if kind == "xlsx":
        response = Response(
            tax_invoices.as_xlsx(rows),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="tax-invoices-{month}.xlsx"'},
        )
    else:
        response = exports.csv_response(rows, filename=f"tax-invoices-{month}.csv")
    response.headers["X-Skipped-No-Business-Number"] = str(skipped)
    return response


@router.get("/revenue", responses=error_responses(Forbidden))
def revenue(session: DbSession, user: CurrentUser) -> dict[str, int]:
    return invoices.revenue_summary(session, user)


# --- waitlist -------------------------------------------------------------------------------


@router.post("/waitlist", status_code=201, responses=error_responses(Forbidden, InvalidInput, Conflict))
def join_waitlist(body: WaitlistCreate, session: DbSession, user: CurrentUser) -> dict[str, Any]:
    rooms_service.get_room(session, body.room_id, user)
    entry = waitlist.join_waitlist(
        session,
        user,
        room_id=body.room_id,
        starts_at=body.start,
        ends_at=body.end,
        title=body.title,
        attendees=body.attendees,
    )
    return entry.model_dump()


@router.get("/waitlist", responses=error_responses(NotAuthenticated))
def list_waitlist(session: DbSession, user: CurrentUser) -> list[dict[str, Any]]:
    return [e.model_dump() for e in waitlist.list_entries(session, user)]


@router.delete("/waitlist/{entry_id}", status_code=204, responses=error_responses(NotFound))
def leave_waitlist(entry_id: ObjectId, session: DbSession, user: CurrentUser) -> Response:
    waitlist.leave_waitlist(session, user, entry_id)
    return Response(status_code=204)
