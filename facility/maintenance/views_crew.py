"""Tablet pages for crews: my day, checklists (offline-capable), and the service worker."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from facility.core.auth import CurrentUser, DbSession
from facility.core.db import utcnow
from facility.core.params import ObjectId
from facility.core.web import render, request_language
from facility.maintenance import catalogue, claims, inspections
from facility.maintenance.myday import crew_day, next_stop
from facility.maintenance.uploads import MAX_EVIDENCE_BYTES

router = APIRouter(include_in_schema=False)
SERVICE_WORKER = Path(__file__).resolve().parent.parent / "static" / "maintenance" / "sw.js"


@router.get("/maintenance/sw.js")
def service_worker() -> Response:
    """Served from /maintenance/ so its scope covers the crew pages."""
    return FileResponse(SERVICE_WORKER, media_type="application/javascript", headers={"Cache-Control": "no-cache"})


@router.get("/maintenance/my-day")
def my_day_page(request: Request, session: DbSession, user: CurrentUser, overdue: bool = False) -> Response:
    """The crew's home: assigned to me, then today and this week; overdue counted (listed on request)."""
    now = utcnow()
    day = crew_day(session, user, now, request.app.state.settings.zone, request_language(request), with_overdue=overdue)
    context = {
        "day": day,
        "now": now,
        "show_overdue": overdue,
        "claimable": claims.claimable(session, user),
        "max_mb": MAX_EVIDENCE_BYTES // (1024 * 1024),
    }
    return render(request, "maintenance/my_day.html", context)


@router.get("/maintenance/inspections/{inspection_id}/checklist")
def checklist_page(request: Request, inspection_id: ObjectId, session: DbSession, user: CurrentUser) -> Response:
    inspection = inspections.get_inspection(session, user, inspection_id)
    template, room, building, asset = inspections.named_in(session, inspection)
    context = {
        "inspection": inspection,
        "template": template,
        "items": catalogue.items_of_version(session, template, inspection.template_version) if template else [],
        "room": room,
        "building": building,
        "asset": asset,
        "overdue": inspections.is_overdue(inspection),
        "submissions": inspections.submissions_of(session, inspection_id),
        "next_stop": next_stop(
            session, user, inspection_id, utcnow(), request.app.state.settings.zone, request_language(request)
        ),
    }
    return render(request, "maintenance/checklist.html", context)
