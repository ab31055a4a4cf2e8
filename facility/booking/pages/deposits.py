"""The officer's bank deposits: those the statement import could not match, each with the open
invoices it could pay and a form to pay one (`reconciliation.match_deposit`, as
`POST /api/v1/bank-deposits/{id}/match`), and those matched, automatically or by hand."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from facility.booking import queries, reconciliation
from facility.booking.models import DepositStatus
from facility.core.auth import CurrentUser, DbSession, ensure_role
from facility.core.i18n import gettext as _
from facility.core.models import MANAGING_ROLES
from facility.core.params import MAX_ID, ObjectId
from facility.core.web import flash, redirect, render

router = APIRouter(include_in_schema=False)
PAGE = "/manage/deposits"


@router.get(PAGE)
def deposits_page(request: Request, session: DbSession, user: CurrentUser) -> Response:
    """Unmatched deposits to pay an invoice with, then the matched ones and what they paid."""
    ensure_role(user, *MANAGING_ROLES)
    unmatched = reconciliation.list_deposits(session, user, status=DepositStatus.unmatched.value)
    matched = reconciliation.list_deposits(session, user, status=DepositStatus.matched.value)
    candidates = reconciliation.match_candidates(session, user, unmatched)
    paid = reconciliation.invoices_of(session, user, matched)
    org_ids = {i.organization_id for rows in candidates.values() for i in rows if i.organization_id}
    org_ids |= {i.organization_id for i in paid.values() if i.organization_id}
    context = {
        "unmatched": unmatched,
        "matched": matched,
        "candidates": candidates,
        "paid": paid,
        "orgs": queries.organizations_by_id(session, org_ids),
    }
    return render(request, "booking/deposits.html", context)


@router.post(PAGE + "/{deposit_id}/match")
def match_deposit(
    request: Request,
    deposit_id: ObjectId,
    session: DbSession,
    user: CurrentUser,
    invoice_id: Annotated[int, Form(ge=1, le=MAX_ID)],
) -> Response:
    """Pay the chosen invoice with the deposit; the invoice's booking is confirmed when it is paid."""
    deposit = reconciliation.match_deposit(session, user, deposit_id, invoice_id)
    flash(request, _("Deposit of {amount} won matched to its invoice.", amount=format(deposit.amount, ",")))
    return redirect(request, PAGE)
