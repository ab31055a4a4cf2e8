"""JSON API of bank reconciliation: upload a statement (the imports' hostile-file limits apply),
list the deposits, pay an invoice with an unmatched one. The rules are booking/reconciliation.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, UploadFile
from pydantic import BaseModel, Field

from facility.booking import reconciliation
from facility.booking.exceptions import InvoiceNotFound
from facility.booking.models import BankDeposit
from facility.core.auth import CurrentUser, DbSession, ensure_role
from facility.core.errors import Conflict, Forbidden, InvalidInput, NotFound, error_responses
from facility.core.i18n import gettext as _
from facility.core.models import MANAGING_ROLES
from facility.core.params import ObjectId
from facility.imports.files import FileTooLarge, UnreadableFile, read_table

router = APIRouter(prefix="/api/v1", tags=["bank reconciliation"])


class DepositPublic(BaseModel):
    id: int
    deposited_at: datetime
    amount: int
    depositor: str
    memo: str
    balance: int | None
    status: str
    invoice_id: int | None
    payment_id: int | None


class DepositMatch(BaseModel):
    invoice_id: int = Field(gt=0)


def deposit_public(deposit: BankDeposit) -> DepositPublic:
    return DepositPublic.model_validate(deposit, from_attributes=True)


@router.post("/bank-statements", responses=error_responses(Forbidden, InvalidInput, FileTooLarge))
def import_statement(
    request: Request, session: DbSession, user: CurrentUser, file: UploadFile | None = None
) -> dict[str, Any]:
    """Import a bank statement (CSV or XLSX as the bank exports it): each deposit once, matched
    ones paid, the rest listed. Plain `def`: parsing is CPU work for the thread pool."""
    ensure_role(user, *MANAGING_ROLES)
    if file is None:
        raise InvalidInput(_("Attach the bank statement as the form field `file`."))
    limits = request.app.state.settings.import_limits
    data = file.file.read(limits.file_bytes + 1)
    try:
        table = read_table(data, limits)
    except UnreadableFile as error:
        raise InvalidInput(str(error), code="unreadable") from None
    report = reconciliation.reconcile(session, user, table.header, table.rows)
    return {
        "deposits": report.deposits,
        "already_imported": report.already_imported,
        "withdrawals_skipped": report.withdrawals_skipped,
        "matched": report.matched,
        "unmatched": report.unmatched,
    }


@router.get("/bank-deposits", response_model=list[DepositPublic], responses=error_responses(Forbidden))
def list_deposits(session: DbSession, user: CurrentUser, status: str | None = None) -> list[DepositPublic]:
    return [deposit_public(d) for d in reconciliation.list_deposits(session, user, status=status)]


@router.post(
    "/bank-deposits/{deposit_id}/match",
    response_model=DepositPublic,
    responses=error_responses(Forbidden, NotFound, Conflict, InvoiceNotFound, InvalidInput),
)
def match_deposit(deposit_id: ObjectId, body: DepositMatch, session: DbSession, user: CurrentUser) -> DepositPublic:
    """Pay an invoice with a deposit the import could not match."""
    return deposit_public(reconciliation.match_deposit(session, user, deposit_id, body.invoice_id))
