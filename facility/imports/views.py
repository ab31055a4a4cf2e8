"""The admin's import page: upload a file, see every row with its problems, then confirm."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import Response

from facility.core.auth import CurrentUser, DbSession, ensure_role
from facility.core.errors import InvalidInput
from facility.core.i18n import gettext
from facility.core.models import Role
from facility.core.web import NavItem, redirect, render, request_language
from facility.imports import korean, service
from facility.imports.files import check_size, write_csv

router = APIRouter(include_in_schema=False)
NAV = (NavItem("nav.import", "/admin/import", frozenset({"admin"}), order=95),)
PAGE = "imports/import.html"
SAMPLES = Path(__file__).parent / "samples"
# The preview shows the file's first rows and then its refused ones, up to these counts; every row
# is checked and counted. A table of 20,000 rows took the browser (and the proxy's timeout) too long.
PREVIEW_ROWS = 50
PREVIEW_PROBLEM_ROWS = 100
PREVIEW_PROBLEMS = 100


def column_label(name: str) -> str:
    """A column's name as people read it (수용 인원), or as written when it is not one of ours."""
    label = gettext(korean.COLUMN_KEY.format(name))
    return name if label.startswith("import.") else label


def shown_rows(report: service.ImportReport) -> list[service.PreviewRow]:
    """The first rows of the file, then those with problems after them: what the preview table holds."""
    first = report.rows[:PREVIEW_ROWS]
    refused = [row for row in report.rows[PREVIEW_ROWS:] if row.problems][:PREVIEW_PROBLEM_ROWS]
    return first + refused


def _preview(report: service.ImportReport, **extra: Any) -> dict[str, Any]:
    return _context(report=report, shown=shown_rows(report), shown_problems=report.problems[:PREVIEW_PROBLEMS], **extra)


def _context(**extra: Any) -> dict[str, Any]:
    return {"kinds": service.KINDS, "_": gettext, "column_label": column_label, **extra}


@router.get("/admin/import")
def import_page(request: Request, user: CurrentUser, kind: str = "", done: str = "") -> Response:
    ensure_role(user, Role.admin)
    return render(request, PAGE, _context(kind=kind, done=done))


@router.get("/admin/import/template.csv")
def template_download(request: Request, user: CurrentUser, kind: str = "") -> Response:
    """A kind's columns, headed in the page's language, with the sample rows: fill in and upload."""
    ensure_role(user, Role.admin)
    cls = service.importer_class(kind)
    sample = (SAMPLES / f"{kind}.csv").read_text(encoding="utf-8-sig")
    header, rows = korean.template_csv((c.name for c in cls.columns), sample, request_language(request))
    disposition = f'attachment; filename="{kind}-template.csv"'
    return Response(
        write_csv(header, rows), media_type="text/csv; charset=utf-8", headers={"Content-Disposition": disposition}
    )


# Both endpoints are plain `def`: parsing a workbook is CPU work, so it runs in the thread pool and
# the event loop keeps answering other requests (/healthz among them) meanwhile.
@router.post("/admin/import/preview")
def preview(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    kind: Annotated[str, Form()],
    file: UploadFile,
) -> Response:
    """Check the upload as a dry run and show every row with its problems."""
    ensure_role(user, Role.admin)
    limits = request.app.state.settings.import_limits
    data = file.file.read(limits.file_bytes + 1)
    name, base_url = file.filename or "", str(request.base_url)
    report = service.run_import(
        session, user, kind, data, dry_run=True, limits=limits, filename=name, base_url=base_url
    )
    encoded = base64.b64encode(data).decode()
    context = _preview(report, kind=kind, payload=encoded, filename=file.filename)
    return render(request, PAGE, context, status_code=200 if report.ok else 422)


@router.post("/admin/import/confirm")
def confirm(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    kind: Annotated[str, Form()],
    payload: Annotated[str, Form()],
    filename: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Import the previewed file for real; it is checked again, all or nothing."""
    ensure_role(user, Role.admin)
    limits = request.app.state.settings.import_limits
    # Base64 is 4 bytes for every 3: a longer payload cannot be a file within the limit.
    check_size(len(payload) * 3 // 4, limits)
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(gettext("The previewed file was damaged; upload it again.")) from None
    report = service.run_import(
        session, user, kind, data, dry_run=False, limits=limits, filename=filename, base_url=str(request.base_url)
    )
    if not report.applied:
        context = _preview(report, kind=kind, payload=payload, filename=filename)
        return render(request, PAGE, context, status_code=422)
    counts = report.summary()
    return redirect(
        request, f"/admin/import?kind={kind}&done={counts['created']}-{counts['updated']}-{counts['unchanged']}"
    )
