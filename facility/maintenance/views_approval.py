"""Each building's approval month (사용승인월), which places its yearly fire self-inspections on
the duties calendar: shown and set per building through `rooms.editing.update_building`, the
service `PATCH /api/v1/buildings/{id}` calls."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from facility.core.auth import CurrentUser, DbSession, ensure_role
from facility.core.i18n import gettext as _
from facility.core.models import MANAGING_ROLES
from facility.core.params import ObjectId
from facility.core.web import flash, redirect, render, request_language
from facility.maintenance import catalogue, duty_calendar
from facility.rooms import editing as rooms_editing
from facility.rooms import service as rooms_service
from facility.rooms.schemas import BuildingUpdate

router = APIRouter(include_in_schema=False)
PAGE = "/maintenance/approval-months"


@router.get(PAGE)
def approval_months_page(request: Request, session: DbSession, user: CurrentUser) -> Response:
    """Every building with its approval month, and the statutory checks that month moves."""
    ensure_role(user, *MANAGING_ROLES)
    codes = duty_calendar.approval_month_templates()
    context = {
        "buildings": rooms_service.all_buildings(session),
        "templates": [t for t in catalogue.list_templates(session) if t.code in codes],
    }
    return render(request, "maintenance/approval_months.html", context)


@router.post(PAGE + "/{building_id}")
def set_approval_month(
    request: Request,
    building_id: ObjectId,
    session: DbSession,
    user: CurrentUser,
    approval_month: Annotated[int | None, Form(ge=1, le=12)] = None,
) -> Response:
    """Set the building's approval month, or clear it (the empty choice); the duties calendar
    follows at once."""
    building = rooms_editing.update_building(session, user, building_id, BuildingUpdate(approval_month=approval_month))
    name = building.name_en if request_language(request) == "en" else building.name_ko
    if approval_month is None:
        flash(request, _("{building}: approval month cleared.", building=name))
    else:
        flash(request, _("{building}: approval month set to {month}.", building=name, month=approval_month))
    return redirect(request, PAGE)
