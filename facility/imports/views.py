"""The admin's import page: upload a file, see every row with its problems, then confirm."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import Response

from facility.core.auth import CurrentUser, DbSession, ensure_role
from facility.core.errors import InvalidInput
from facility.core.i18n import gettext
from facility.core.models import Role
from facility.core.web import NavItem, redirect, render
from facility.imports import service

router = APIRouter(include_in_schema=False)
NAV = (NavItem("nav.import", "/admin/import", frozenset({"admin"}), order=95),)
PAGE = "imports/import.html"
# Campus files are a few thousand rows; anything far larger is a mistake, not a campus.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def _context(**extra: Any) -> dict[str, Any]:
    return {"kinds": service.KINDS, "_": gettext, **extra}


@router.get("/admin/import")
def import_page(request: Request, user: CurrentUser, kind: str = "", done: str = "") -> Response:
    ensure_role(user, Role.admin)
    return render(request, PAGE, _context(kind=kind, done=done))


@router.post("/admin/import/preview")
async def preview(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    kind: Annotated[str, Form()],
    file: UploadFile,
) -> Response:
    """Check the upload as a dry run and show every row with its problems."""
    ensure_role(user, Role.admin)
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput(gettext("The file is larger than {n} MB.", n=MAX_UPLOAD_BYTES // 1024 // 1024))
    report = service.run_import(session, user, kind, data, dry_run=True, filename=file.filename or "")
    encoded = base64.b64encode(data).decode()
    return render(request, PAGE, _context(kind=kind, report=report, payload=encoded, filename=file.filename))


@router.post("/admin/import/confirm")
def confirm(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    kind: Annotated[str, Form()],
    payload: Annotated[str, Form(max_length=MAX_UPLOAD_BYTES * 2)],
    filename: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Import the previewed file for real; it is checked again, all or nothing."""
    ensure_role(user, Role.admin)
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(gettext("The previewed file was damaged; upload it again.")) from None
    report = service.run_import(session, user, kind, data, dry_run=False, filename=filename)
    if not report.applied:
        return render(request, PAGE, _context(kind=kind, report=report, payload=payload, filename=filename))
    counts = report.summary()
    return redirect(
        request, f"/admin/import?kind={kind}&done={counts['created']}-{counts['updated']}-{counts['unchanged']}"
    )
