"""The officer's bank statement upload on the invoices page (`/manage/invoices`): the same rules as
`POST /api/v1/bank-statements` (booking/reconciliation.py), answered with a summary toast."""

from __future__ import annotations

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import Response

from facility.booking import reconciliation
from facility.core.auth import CurrentUser, DbSession, ensure_role
from facility.core.errors import FacilityError
from facility.core.i18n import gettext as _
from facility.core.models import MANAGING_ROLES
from facility.core.web import flash, form_savepoint, redirect
from facility.imports.files import UnreadableFile, read_table

router = APIRouter(include_in_schema=False)


@router.post("/manage/bank-statements")
def upload_statement(request: Request, session: DbSession, user: CurrentUser, file: UploadFile) -> Response:
    """Import the statement; matched deposits are paid, the rest wait in the list below the invoices."""
    ensure_role(user, *MANAGING_ROLES)
    limits = request.app.state.settings.import_limits
    try:
        table = read_table(file.file.read(limits.file_bytes + 1), limits)
        with form_savepoint(session):
            report = reconciliation.reconcile(session, user, table.header, table.rows)
    except UnreadableFile as error:
        flash(request, str(error))
    except FacilityError as error:
        flash(request, error.message)
    else:
        flash(
            request,
            _(
                "Statement imported: {matched} deposits paid their invoices, {unmatched} left to match, "
                "{seen} imported before.",
                matched=len(report.matched),
                unmatched=len(report.unmatched),
                seen=report.already_imported,
            ),
        )
    return redirect(request, "/manage/invoices")
