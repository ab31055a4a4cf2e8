"""The safety manager's duties board: steps due this week, overdue, waiting on remediation and
retention running out, per law and building; the year's calendar; each chain's PDF and CSV."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response

from facility.core.auth import CurrentUser, DbSession, ensure_role
from facility.core.db import utcnow
from facility.core.errors import FacilityError
from facility.core.exports import csv_response
from facility.core.i18n import gettext as _
from facility.core.models import MANAGING_ROLES, STAFF_ROLES
from facility.core.params import ObjectId
from facility.core.pdf import PdfFontMissing
from facility.core.web import flash, form_savepoint, redirect, render, request_language
from facility.maintenance import catalogue, duties, duty_calendar, duty_report, retention
from facility.maintenance.exceptions import ReportUnavailable
from facility.maintenance.uploads import MAX_EVIDENCE_BYTES
from facility.rooms import service as rooms_service

router = APIRouter(include_in_schema=False)
# "Retention expiring" on the board: the period ends within this many days.
RETENTION_NOTICE = timedelta(days=90)
BOARD = "/maintenance/duties"
MY_DAY = "/maintenance/my-day"
EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp"}


def _disposition(ascii_name: str, original: str) -> str:
    """A download named safely in ASCII, with the uploader's own (Korean) name beside it, quoted."""
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(original or ascii_name, safe='')}"


@router.get(BOARD)
def duties_board(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    law: Annotated[str, Query(max_length=100)] = "",
    building: Annotated[str, Query(max_length=40)] = "",
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Response:
    ensure_role(user, *MANAGING_ROLES)
    now, lang, zone = utcnow(), request_language(request), request.app.state.settings.zone
    buildings = rooms_service.all_buildings(session)
    chosen = next((b for b in buildings if b.code == building), None)
    building_id = chosen.id if chosen else None
    running = duties.list_duties(session, user, now=now, status="open", law=law, building_id=building_id, lang=lang)
    ending = duties.retention_ending(session, now + RETENTION_NOTICE, law=law, building_id=building_id)
    year = year or now.astimezone(zone).year
    overdue = [v for v in running if v.duty.due_at < now]
    due = [v for v in running if now <= v.duty.due_at < now + duties.DUE_WINDOW]
    waiting = [v for v in running if v.waiting_on_remediation]
    context = {
        "overdue": overdue,
        "due": due,
        "waiting": waiting,
        "summary": duties.summary(running, overdue, due, waiting),
        "retained": duties.views_of(session, ending, lang),
        "deletable": retention.deletable_report(session, user, now),
        "calendar": duty_calendar.yearly_calendar(session, user, year, zone, lang),
        "laws": sorted({t.law for t in catalogue.list_templates(session) if t.duty}),
        "law": law,
        "buildings": buildings,
        "building": building,
        "year": year,
        "now": now,
        "max_mb": MAX_EVIDENCE_BYTES // (1024 * 1024),
    }
    return render(request, "maintenance/duties.html", context)


@router.post("/maintenance/duties/{duty_id}/evidence")
async def evidence_from_form(
    request: Request,
    duty_id: ObjectId,
    session: DbSession,
    user: CurrentUser,
    reference_no: Annotated[str, Form(max_length=100)] = "",
    note: Annotated[str, Form(max_length=1000)] = "",
    file: Annotated[UploadFile | None, File()] = None,
    back: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    ensure_role(user, *STAFF_ROLES)
    # The crew attach their own steps from their day page and go back there; nowhere else.
    after = MY_DAY if back == "my-day" else BOARD
    data = None
    if file is not None and file.filename:
        # One byte over the limit is enough to refuse; never read a hostile upload whole.
        data = await file.read(MAX_EVIDENCE_BYTES + 1)
    try:
        with form_savepoint(session):
            duty = duties.add_evidence(
                session,
                user,
                duty_id,
                now=utcnow(),
                reference_no=reference_no,
                note=note,
                filename=(file.filename or "") if file is not None else "",
                content_type=(file.content_type or "") if file is not None else "",
                data=data,
            )
    except FacilityError as error:
        if error.status_code in (401, 403, 404):
            raise
        flash(request, error.message, "bad")
        return redirect(request, after)
    flash(request, _("Evidence recorded: {step}.", step=duty.name_ko))
    return redirect(request, after)


@router.get("/maintenance/duties/{duty_id}/report.pdf")
def duty_pdf(request: Request, duty_id: ObjectId, session: DbSession, user: CurrentUser) -> Response:
    try:
        body = duty_report.pdf_report(session, user, duty_id, request.app.state.settings.zone)
    except PdfFontMissing as error:
        raise ReportUnavailable(_("No Korean font is installed for PDF reports: {detail}", detail=str(error))) from None
    headers = {"Content-Disposition": _disposition(f"duty-{duty_id}.pdf", f"duty-{duty_id}.pdf")}
    return Response(body, media_type="application/pdf", headers=headers)


@router.get("/maintenance/duties/{duty_id}/report.csv")
def duty_csv(request: Request, duty_id: ObjectId, session: DbSession, user: CurrentUser) -> Response:
    rows = duty_report.csv_rows(session, user, duty_id, request.app.state.settings.zone)
    return csv_response(rows, filename=f"duty-{duty_id}.csv")


@router.get("/maintenance/duty-evidence/{evidence_id}")
def evidence_download(evidence_id: ObjectId, session: DbSession, user: CurrentUser) -> Response:
    row = duties.evidence_file(session, user, evidence_id)
    headers = {
        "Content-Disposition": _disposition(f"evidence-{row.id}{EXTENSIONS.get(row.content_type, '')}", row.filename),
        "X-Content-Type-Options": "nosniff",
    }
    return Response(row.data, media_type=row.content_type, headers=headers)


@router.post("/maintenance/duties/{duty_id}/purge")
def purge_from_form(request: Request, duty_id: ObjectId, session: DbSession, user: CurrentUser) -> Response:
    """Delete a chain's records whose retention ended (refused, with the date, before then)."""
    ensure_role(user, *MANAGING_ROLES)
    duty = duties.get_duty(session, user, duty_id)
    try:
        with form_savepoint(session):
            retention.purge(session, user, duty.inspection_id, utcnow())
    except FacilityError as error:
        if error.status_code in (401, 403, 404):
            raise
        flash(request, error.message, "bad")
        return redirect(request, BOARD)
    flash(request, _("Records deleted: inspection {inspection}.", inspection=duty.inspection_id))
    return redirect(request, BOARD)
