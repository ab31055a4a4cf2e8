"""Pages of the energy domain: building today, a room's energy day, the energy report, the mode table,
the meters and the rooms they serve."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from facility.core import exports
from facility.core.auth import CurrentUser, DbSession, ensure_role
from facility.core.db import utcnow
from facility.core.errors import InvalidInput
from facility.core.i18n import gettext as _
from facility.core.i18n import label
from facility.core.models import MANAGING_ROLES, STAFF_ROLES
from facility.core.params import ObjectId
from facility.core.web import NavItem, flash, redirect, render
from facility.energy import accounting, drive, meters, modes, service, today
from facility.energy.charts import savings_chart
from facility.energy.kinds import Mode
from facility.energy.windows import next_window
from facility.rooms import service as rooms_service
from facility.sensors.router import reading_store

router = APIRouter(include_in_schema=False)
STAFF = frozenset(r.value for r in STAFF_ROLES)
NAV = (NavItem("nav.energy", "/energy/today", STAFF, order=55),)
# How far the room page looks for the next window.
LOOK_AHEAD_DAYS = 14
# The override lengths a manager picks from (hours).
OVERRIDE_HOURS = (1, 2, 4, 8, 24)
REPORT_COLUMNS = (
    "kwh",
    "booked_hours",
    "conditioned_hours",
    "kwh_per_booked_hour",
    "baseline_kwh",
    "savings_kwh",
    "savings_percent",
)


def _settings(request: Request):  # type: ignore[no-untyped-def]
    return request.app.state.settings


@router.get("/energy/today")
def today_page(request: Request, session: DbSession, user: CurrentUser, building: int = 0) -> Response:
    settings = _settings(request)
    now = utcnow()
    rows = today.building_today(
        session, reading_store(request), user, now, settings.zone, settings.energy, building_id=building or None
    )
    context = {
        "rows": rows,
        "released": today.released_today(session, user, now, settings.zone),
        "buildings": rooms_service.all_buildings(session),
        "building": building,
        "can_override": user.role in {r.value for r in MANAGING_ROLES},
        "modes": list(Mode),
        "hours": OVERRIDE_HOURS,
        "now": now,
    }
    return render(request, "energy/today.html", context, block="rooms")


@router.get("/energy/rooms/{room_id}")
def room_page(request: Request, room_id: ObjectId, session: DbSession, user: CurrentUser) -> Response:
    """A room's energy day; htmx asks for its next window only (the room page shows it)."""
    settings = _settings(request)
    now = utcnow()
    local_today = now.astimezone(settings.zone).date()
    day = service.room_day(session, user, room_id, local_today, settings.zone, settings.energy)
    upcoming = next_window(day.windows, now)
    ahead = 1
    while upcoming is None and ahead < LOOK_AHEAD_DAYS:
        later = service.room_day(
            session, user, room_id, local_today + timedelta(days=ahead), settings.zone, settings.energy
        )
        upcoming, ahead = next_window(later.windows, now), ahead + 1

    context = {
        "day": day,
        "room": day.room,
        "upcoming": upcoming,
        "can_override": user.role in {r.value for r in MANAGING_ROLES},
        "modes": list(Mode),
        "hours": OVERRIDE_HOURS,
    }
    return render(request, "energy/room.html", context, block="next_window")


@router.post("/energy/rooms/{room_id}/override")
def override(
    request: Request,
    room_id: ObjectId,
    session: DbSession,
    user: CurrentUser,
    mode: Annotated[str, Form(max_length=20)] = "",
    hours: Annotated[str, Form(max_length=3)] = "2",
    back: Annotated[str, Form(max_length=20)] = "today",
) -> Response:
    now = utcnow()
    if mode and mode not in Mode.__members__:
        raise InvalidInput(_("Unknown mode {mode}.", mode=mode[:20]))
    if mode and (not hours.isdigit() or int(hours) not in OVERRIDE_HOURS):
        raise InvalidInput(_("Choose how long the override lasts."))
    chosen = Mode(mode) if mode else None
    until = now + timedelta(hours=int(hours)) if chosen else None
    drive.set_override(session, user, room_id, chosen, until, now)
    flash(request, _("Override set.") if chosen else _("Override cleared."))
    return redirect(request, f"/energy/rooms/{room_id}" if back == "room" else "/energy/today")


def _report(
    request: Request, session: DbSession, user: CurrentUser, start: str, end: str, by: str
) -> accounting.Report:
    """The report the page and its CSV show: this month to today unless dates are given."""
    settings = _settings(request)
    local_today = utcnow().astimezone(settings.zone).date()
    try:
        first = date.fromisoformat(start[:10]) if start else local_today.replace(day=1)
        last = date.fromisoformat(end[:10]) if end else local_today
    except ValueError:
        raise InvalidInput(_("Dates look like 2026-12-01.")) from None
    return accounting.energy_report(
        session, reading_store(request), user, first, last, by, settings.zone, settings.energy
    )


@router.get("/energy/report")
def report_page(
    request: Request, session: DbSession, user: CurrentUser, start: str = "", end: str = "", by: str = "room"
) -> Response:
    report = _report(request, session, user, start, end, by)
    chart_rows = report.days if len(report.months) <= 1 else report.months
    context = {
        "report": report,
        "columns": REPORT_COLUMNS,
        "chart": savings_chart(
            chart_rows, label=_("kWh used against the fixed schedule"), used=_("used"), baseline=_("fixed schedule")
        ),
        "start": report.first.isoformat(),
        "end": report.last.isoformat(),
        "by": by,
    }
    return render(request, "energy/report.html", context, block="report")


@router.get("/energy/report.csv")
def report_csv(
    request: Request, session: DbSession, user: CurrentUser, start: str = "", end: str = "", by: str = "room"
) -> Response:
    report = _report(request, session, user, start, end, by)
    first, last = report.first, report.last
    header = [label(f"energy.by.{by}"), *(label(f"energy.col.{c}") for c in REPORT_COLUMNS)]
    return exports.csv_response([header, *accounting.report_rows(report)], filename=f"energy-{first}-{last}-{by}.csv")


@router.get("/energy/modes")
def modes_page(request: Request, session: DbSession, user: CurrentUser) -> Response:
    ensure_role(user, *STAFF_ROLES)
    context = {
        "table": modes.mode_table(session),
        "modes": list(Mode),
        "channels": modes.CHANNELS,
        "choices": modes.CHANNEL_VALUES,
        "can_edit": user.role in {r.value for r in MANAGING_ROLES},
    }
    return render(request, "energy/modes.html", context)


@router.post("/energy/modes")
def set_mode_cell(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    energy_kind: Annotated[str, Form(max_length=20)] = "",
    mode: Annotated[str, Form(max_length=20)] = "",
    channel: Annotated[str, Form(max_length=40)] = "",
    value: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    modes.set_action(session, user, energy_kind, mode, channel, value)
    flash(request, _("Mode table saved."))
    return redirect(request, "/energy/modes")


@router.get("/energy/meters")
def meters_page(request: Request, session: DbSession, user: CurrentUser) -> Response:
    context = {
        "rows": meters.meter_rows(session, user),
        "rooms": rooms_service.all_rooms(session),
        "can_edit": user.role in {r.value for r in MANAGING_ROLES},
    }
    return render(request, "energy/meters.html", context)


@router.post("/energy/meters")
def set_meter(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    device_id: Annotated[str, Form(max_length=12)] = "",
    room_id: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    ensure_role(user, *MANAGING_ROLES)
    if not device_id.isdigit() or (room_id and not room_id.isdigit()):
        raise InvalidInput(_("Choose a meter and a room."))
    meters.set_meter_room(session, user, int(device_id), int(room_id) if room_id else None)
    flash(request, _("Meter saved."))
    return redirect(request, "/energy/meters")
