"""Manager pages: assets and QR labels, problem reports, plans, templates, compliance."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from facility.core.auth import CurrentUser, DbSession, ensure_role
from facility.core.db import utcnow
from facility.core.exports import csv_response
from facility.core.models import MANAGING_ROLES
from facility.core.params import ObjectId
from facility.core.web import redirect, render, request_language
from facility.maintenance import assets, catalogue, compliance, inspections, plans
from facility.maintenance.kinds import Priority
from facility.maintenance.views_public import asset_url
from facility.rooms import service as rooms_service

router = APIRouter(include_in_schema=False)


@router.get("/maintenance/assets")
def assets_page(request: Request, session: DbSession, user: CurrentUser, building: str = "", q: str = "") -> Response:
    buildings = rooms_service.all_buildings(session)
    chosen = next((b for b in buildings if b.code == building), None)
    rows, total = assets.list_assets(
        session, user, building_id=chosen.id if chosen else None, q=q[:100] or None, limit=500
    )
    rooms = {r.id: r for r in rooms_service.all_rooms(session)}
    context = {
        "assets": rows,
        "total": total,
        "buildings": buildings,
        "building": building,
        "q": q,
        "rooms": rooms,
    }
    return render(request, "maintenance/assets.html", context, block="results")


@router.get("/maintenance/assets/labels")
def labels_page(request: Request, session: DbSession, user: CurrentUser, building: str) -> Response:
    """A printable sheet of QR labels for one building."""
    chosen = next((b for b in rooms_service.all_buildings(session) if b.code == building), None)
    rows, _ = assets.list_assets(session, user, building_id=chosen.id if chosen else -1, limit=2000)
    labels = [(a, assets.qr_svg(asset_url(a.code), scale=3)) for a in rows]
    return render(request, "maintenance/labels.html", {"labels": labels, "building": chosen})


@router.get("/maintenance/requests")
def requests_page(request: Request, session: DbSession, user: CurrentUser) -> Response:
    reports = assets.list_reports(session, user)
    return render(request, "maintenance/requests.html", {"reports": reports, "priorities": list(Priority)})


@router.post("/maintenance/requests/{report_id}")
def triage(
    request: Request,
    report_id: ObjectId,
    session: DbSession,
    user: CurrentUser,
    accept: Annotated[bool, Form()],
    priority: Annotated[Priority, Form()] = Priority.normal,
) -> Response:
    report = assets.triage_report(session, user, report_id, accept=accept, priority=priority)
    target = f"/maintenance/work-orders/{report.work_order_id}" if report.work_order_id else "/maintenance/requests"
    return redirect(request, target)


@router.get("/maintenance/plans")
def plans_page(request: Request, session: DbSession, user: CurrentUser) -> Response:
    context = {
        "plans": plans.list_plans(session, user),
        "templates": {t.id: t for t in catalogue.list_templates(session)},
    }
    return render(request, "maintenance/plans.html", context)


@router.post("/maintenance/plans/{plan_id}/active")
def plan_active(
    request: Request,
    plan_id: ObjectId,
    session: DbSession,
    user: CurrentUser,
    active: Annotated[bool, Form()],
) -> Response:
    plans.set_plan_active(session, user, plan_id, active)
    return redirect(request, "/maintenance/plans")


@router.get("/maintenance/templates")
def templates_page(request: Request, session: DbSession, user: CurrentUser) -> Response:
    ensure_role(user, *MANAGING_ROLES)
    return render(request, "maintenance/templates.html", {"templates": catalogue.list_templates(session)})


@router.post("/maintenance/inspections/{inspection_id}/verify")
def verify(request: Request, inspection_id: ObjectId, session: DbSession, user: CurrentUser) -> Response:
    inspections.verify_inspection(session, user, inspection_id)
    return redirect(request, f"/maintenance/inspections/{inspection_id}/checklist")


# Reports cover the years the campus has records for; anything else is a typo, answered 422.
Year = Annotated[int | None, Query(ge=2000, le=2100)]


def _period(request: Request, year: int | None) -> tuple[int, datetime, datetime]:
    zone = request.app.state.settings.zone
    year = year or utcnow().astimezone(zone).year
    since = datetime(year, 1, 1, tzinfo=zone).astimezone(UTC)
    until = datetime(year + 1, 1, 1, tzinfo=zone).astimezone(UTC)
    return year, since, until


@router.get("/maintenance/compliance")
def compliance_page(request: Request, session: DbSession, user: CurrentUser, year: Year = None) -> Response:
    year, since, until = _period(request, year)
    rows = compliance.compliance_report(
        session, user, since=since, until=until, now=utcnow(), lang=request_language(request)
    )
    context = {
        "rows": rows,
        "year": year,
        "totals": compliance.totals_by_law(rows),
        "generated": utcnow(),
    }
    return render(request, "maintenance/compliance.html", context)


@router.get("/maintenance/compliance.csv")
def compliance_csv(request: Request, session: DbSession, user: CurrentUser, year: Year = None) -> Response:
    year, since, until = _period(request, year)
    rows = compliance.compliance_report(session, user, since=since, until=until, now=utcnow())
    table = compliance.csv_rows(rows, request.app.state.settings.zone, since, until)
    return csv_response(table, filename=f"compliance-{year}.csv")
