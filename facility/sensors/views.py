"""Pages of the sensors domain: live board, room charts, devices, alerts, dead letters."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import Response

from facility.core import accounts
from facility.core.auth import CurrentUser, DbSession, ensure_role
from facility.core.db import utcnow
from facility.core.errors import InvalidInput
from facility.core.i18n import gettext as _
from facility.core.i18n import gettext_noop as N_
from facility.core.models import MANAGING_ROLES, STAFF_ROLES
from facility.core.params import ObjectId
from facility.core.web import NavItem, flash, redirect, render, request_language
from facility.rooms import service as rooms_service
from facility.rooms.models import Building, Floor
from facility.sensors import alert_work, floor_plan, placement, plan_drawings, rule_settings, service
from facility.sensors import bookings as sensor_bookings
from facility.sensors.alerts import RuleSet
from facility.sensors.catalogue import BOARD_METRICS, METRICS, band
from facility.sensors.chart_range import chart_range, local_text
from facility.sensors.charts import has_spread, line_chart
from facility.sensors.router import reading_store

router = APIRouter(include_in_schema=False)
# A year reads InfluxDB's 5-minute rollup past the raw retention; the SQL store keeps what it keeps.
WINDOWS = {
    "6h": timedelta(hours=6),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
    "1y": timedelta(days=365),
}
STALE_AFTER = timedelta(minutes=10)
# Charts drawn over the room's booked intervals: presence against what was booked.
BOOKED_UNDER = frozenset({"occupancy", "people_count"})
STAFF = {r.value for r in STAFF_ROLES}

NAV = (NavItem("nav.sensors", "/sensors", frozenset(STAFF), order=50),)


def unit_of(metric: str) -> str:
    return METRICS[metric].display_unit if metric in METRICS else ""


def fmt(metric: str, value: float) -> str:
    """A value as people read it, with the metric's decimals."""
    return METRICS[metric].format(value) if metric in METRICS else f"{value:,.0f}"


def label_of(metric: str) -> str:
    return METRICS[metric].title() if metric in METRICS else metric


def labels_of(metrics: str) -> str:
    """A device's comma-separated metric keys as the words people read."""
    return ", ".join(label_of(m) for m in metrics.split(",") if m)


def _helpers() -> dict[str, object]:
    return {
        "_": _,
        "unit_of": unit_of,
        "labels_of": labels_of,
        "raw_fields_of": service.raw_fields_of,
        "fmt": fmt,
        "label_of": label_of,
        "band": band,
        "now": utcnow(),
        "stale_after": STALE_AFTER,
    }


def needs_attention(tile: service.BoardRoom, now: datetime) -> bool:
    """A room for the "problems only" view: an active alert, a poor or bad band, or readings
    that stopped (none, or none for longer than the board calls stale)."""
    newest = max((item.ts for item in tile.values.values()), default=None)
    stale = newest is None or now - newest > STALE_AFTER
    return tile.alerts > 0 or tile.band in ("poor", "bad") or stale


@router.get("/sensors")
def board_page(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    building: str = "",
    floor: str = "",
    problems: str = "",
) -> Response:
    ensure_role(user, *STAFF_ROLES)
    every = service.board(session, reading_store(request), user, building=building or None, floor=floor or None)
    now = utcnow()
    tiles = [t for t in every if needs_attention(t, now)] if problems else every
    buildings = rooms_service.all_buildings(session)
    floors = rooms_service.floor_labels(session, building or None)
    context = {
        "tiles": tiles,
        "buildings": buildings,
        "floors": floors,
        "building": building,
        "floor": floor,
        "problems": bool(problems),
        "total": len(every),
        "board_metrics": BOARD_METRICS,
        "query": urlencode({"building": building, "floor": floor} | ({"problems": "1"} if problems else {})),
        **_helpers(),
    }
    return render(request, "sensors/board.html", context, block="board")


def alert_limits(rule_set: RuleSet, metric: str, kind: str, room_id: int) -> list[float] | None:
    """The limits of the rules in force for this room, as the chart's guide lines (None: the
    metric's default; on/off states get none)."""
    entry = METRICS.get(metric)
    rules = rule_set.rules_for(metric, kind, room_id)
    if entry is None or not rules or entry.unit in ("bool", "state"):
        return None
    return sorted({b for r in rules for b in (r.below, r.above) if b is not None})


@router.get("/sensors/plan")
def plan_page(request: Request, session: DbSession, user: CurrentUser, building: str = "") -> Response:
    """A building's floors as plans of clickable rooms coloured by live state, each with its table."""
    ensure_role(user, *STAFF_ROLES)
    buildings = rooms_service.all_buildings(session)
    chosen = next((b for b in buildings if b.code == building), buildings[0] if buildings else None)
    floors = []
    if chosen is not None:
        tiles = {
            int(t.room.id or 0): t for t in service.board(session, reading_store(request), user, building=chosen.code)
        }
        now = utcnow()
        booked = sensor_bookings.rooms_in_use(session, now)
        english = request_language(request) == "en"
        every_floor = floor_plan.floors_of(session, chosen)
        drawings = plan_drawings.drawings_for(session, [int(f.id or 0) for f, _rooms in every_floor])
        for floor, rooms in every_floor:
            if not rooms:
                continue
            facts = floor_plan.plan_rooms(rooms, tiles, booked, now)
            label = _("Plan of {floor}", floor=floor_plan.floor_name(floor))
            drawing = drawings.get(int(floor.id or 0))
            if drawing is not None:
                svg, missing = plan_drawings.coloured_drawing(drawing, facts, label=label, english=english)
            else:
                svg, missing = floor_plan.floor_svg(facts, label=label, english=english), []
            floors.append((floor, facts, svg, drawing is not None, missing))
    context = {
        "buildings": buildings,
        "building": chosen,
        "floors": floors,
        "states": floor_plan.STATES,
        "state_words": floor_plan.state_words,
        "floor_name": floor_plan.floor_name,
        "can_upload": user.role in {r.value for r in MANAGING_ROLES},
        "max_kb": plan_drawings.MAX_BYTES // 1024,
        **_helpers(),
    }
    return render(request, "sensors/plan.html", context)


def _plan_of(session: DbSession, floor_id: int) -> str:
    floor = session.get(Floor, floor_id)
    building = session.get(Building, floor.building_id) if floor else None
    return f"/sensors/plan?{urlencode({'building': building.code})}" if building else "/sensors/plan"


@router.post("/sensors/plan/floors/{floor_id}/drawing")
async def upload_drawing(
    request: Request, floor_id: ObjectId, session: DbSession, user: CurrentUser, drawing: UploadFile | None = None
) -> Response:
    """A manager uploads a floor's SVG plan; a hostile or malformed file is refused (422)."""
    ensure_role(user, *MANAGING_ROLES)
    data = await drawing.read(plan_drawings.MAX_BYTES + 1) if drawing is not None else b""
    plan_drawings.save_drawing(session, user, floor_id, data)
    session.commit()
    flash(request, _("The floor drawing is saved; rooms are matched by their code."))
    return redirect(request, _plan_of(session, floor_id))


@router.post("/sensors/plan/floors/{floor_id}/drawing/remove")
def remove_drawing(request: Request, floor_id: ObjectId, session: DbSession, user: CurrentUser) -> Response:
    """Back to the generated grid for this floor."""
    plan_drawings.remove_drawing(session, user, floor_id)
    session.commit()
    flash(request, _("The floor drawing is removed; the generated plan is shown."))
    return redirect(request, _plan_of(session, floor_id))


@router.get("/sensors/rooms/{room_id}")
def room_page(
    request: Request,
    room_id: ObjectId,
    session: DbSession,
    user: CurrentUser,
    window: str = "24h",
    start: str = "",
    end: str = "",
) -> Response:
    store = reading_store(request)
    latest = service.room_latest(session, store, user, room_id)
    room = rooms_service.get_room(session, room_id, user)
    zone = request.app.state.settings.zone
    now = utcnow()
    shown = chart_range(WINDOWS, window, start, end, zone, now)
    start_at, end_at = shown.start, shown.end
    every = service.default_every(start_at, end_at)
    booked = sensor_bookings.booked_intervals(session, room_id, start_at, end_at)
    ordered = sorted(latest, key=lambda m: (m not in BOARD_METRICS, m))
    charts = []
    rule_set = rule_settings.current_rule_set(session)
    for metric in ordered:
        points = service.room_series(session, store, user, room_id, metric, start_at, end_at, every)
        guides = alert_limits(rule_set, metric, room.kind, room_id)
        under = booked if metric in BOOKED_UNDER else ()
        chart = line_chart(
            points, start_at, end_at, zone, metric=metric, label=label_of(metric), guides=guides, booked=under
        )
        charts.append((metric, chart, points, bool(under)))  # the points again as the chart's data table
    history = alert_work.room_history(session, room_id)
    context = {
        "room": rooms_service.to_public(session, [room])[0],
        "latest": latest,
        "charts": charts,
        "window": shown.window,
        "windows": list(WINDOWS),
        "range_start": local_text(start_at, zone),
        "range_end": local_text(end_at, zone),
        "zoom": shown.zoom_links(zone, now),
        "spread": any(has_spread(c[2]) for c in charts),
        "devices": service.list_devices_in_room(session, room_id),
        "alerts": service.list_alerts(session, room_id=room_id, active=True),
        "history": history,
        "people": alert_work.people(session, history),
        "work_orders": alert_work.work_orders_for(session, history),
        "describe": alert_work.describe,
        **_helpers(),
    }
    return render(request, "sensors/room.html", context, block="charts")


# Unassigned devices per page: a flood of discovered devices is paged, and rooms are suggested
# only for the page shown.
DEVICES_PER_PAGE = 25


def _devices_context(session: DbSession, user: CurrentUser, page: int = 1) -> dict[str, object]:
    total = service.count_unassigned_devices(session, user)
    pages = max(1, -(-total // DEVICES_PER_PAGE))
    page = min(max(1, page), pages)
    unassigned = service.list_devices(
        session, user, unassigned=True, offset=(page - 1) * DEVICES_PER_PAGE, limit=DEVICES_PER_PAGE
    )
    rooms = rooms_service.all_rooms(session)
    return {
        "unassigned": unassigned,
        "unassigned_total": total,
        "page": page,
        "pages": pages,
        "suggestions": placement.suggestions_for(unassigned, rooms),
        "placed": service.list_devices(session, user, unassigned=False),
        "rooms": rooms,
        "room_by_id": {r.id: r for r in rooms},
        "can_place": user.role in {r.value for r in MANAGING_ROLES},
        **_helpers(),
    }


@router.get("/sensors/devices")
def devices_page(request: Request, session: DbSession, user: CurrentUser, page: int = 1) -> Response:
    page = page if 0 < page < 1_000_000 else 1
    return render(request, "sensors/devices.html", _devices_context(session, user, page), block="devices")


@router.post("/sensors/devices/{device_id}/place")
def place_device(
    request: Request, device_id: ObjectId, session: DbSession, user: CurrentUser, room_id: Annotated[str, Form()] = ""
) -> Response:
    target = int(room_id) if room_id.isdigit() and len(room_id) < 10 else None
    service.place_device(session, user, device_id, target)
    if request.headers.get("hx-request") == "true":
        context = _devices_context(session, user) | {"flash": "devices.placed_ok"}
        return render(request, "sensors/devices.html", context, block="devices")
    return redirect(request, "/sensors/devices")


# What each action confirms with (a toast).
DONE = {
    "acknowledged": N_("Alert acknowledged."),
    "assigned": N_("Alert assigned; the assignee has been notified."),
    "snoozed": N_("Alert snoozed."),
    "resolved": N_("Alert resolved."),
}


def _alerts_context(session: DbSession, user: CurrentUser) -> dict[str, object]:
    now = utcnow()
    active = alert_work.open_alerts(session, now)
    snoozed = alert_work.snoozed_alerts(session, now)
    cleared = service.recent_cleared_alerts(session, limit=50)
    shown = active + snoozed + cleared
    return {
        "active": active,
        "snoozed": snoozed,
        "cleared": cleared,
        "rooms": service.rooms_by_id(session, {a.room_id for a in shown if a.room_id}),
        "devices": service.devices_by_id(session, {a.device_id for a in shown if a.device_id and not a.room_id}),
        "people": alert_work.people(session, shown),
        "work_orders": alert_work.work_orders_for(session, shown),
        "staff": accounts.active_staff(session) if user.is_manager else [],
        "suggested": alert_work.suggested_assignees(session, active + snoozed) if user.is_manager else {},
        "describe": alert_work.describe,
        **_helpers(),
    }


@router.get("/sensors/alerts")
def alerts_page(request: Request, session: DbSession, user: CurrentUser) -> Response:
    ensure_role(user, *STAFF_ROLES)
    return render(request, "sensors/alerts.html", _alerts_context(session, user), block="alerts")


def _acted(request: Request, session: DbSession, user: CurrentUser, done: str) -> Response:
    """A toast either way: htmx gets the list again, a plain post goes back to it (PRG)."""
    flash(request, _(DONE[done]))
    if request.headers.get("hx-request") == "true":
        return render(request, "sensors/alerts.html", _alerts_context(session, user), block="alerts")
    return redirect(request, "/sensors/alerts")


@router.post("/sensors/alerts/{alert_id}/acknowledge")
def acknowledge_from_form(
    request: Request, alert_id: ObjectId, session: DbSession, user: CurrentUser, note: Annotated[str, Form()] = ""
) -> Response:
    alert_work.acknowledge(session, user, alert_id, note[:500])
    return _acted(request, session, user, "acknowledged")


@router.post("/sensors/alerts/{alert_id}/resolve")
def resolve_from_form(
    request: Request, alert_id: ObjectId, session: DbSession, user: CurrentUser, note: Annotated[str, Form()] = ""
) -> Response:
    alert_work.resolve(session, user, alert_id, note[:500])
    return _acted(request, session, user, "resolved")


@router.post("/sensors/alerts/{alert_id}/assign")
def assign_from_form(
    request: Request,
    alert_id: ObjectId,
    session: DbSession,
    user: CurrentUser,
    assignee_id: Annotated[str, Form()] = "",
) -> Response:
    if not assignee_id.isdigit() or len(assignee_id) > 9:
        raise InvalidInput(_("Choose whom to assign the alert to."))
    alert_work.assign(session, user, alert_id, int(assignee_id))
    return _acted(request, session, user, "assigned")


# One press for the snoozes people choose ("after the lecture", "tomorrow morning", "next week"); a
# time of one's own stays one field away.
SNOOZE_PRESETS = ("hour", "tomorrow", "week")


def snooze_preset(preset: str, now: datetime) -> datetime:
    """An hour from now, tomorrow at 09:00 local, or a week (the longest snooze) from now."""
    if preset == "hour":
        return now + timedelta(hours=1)
    if preset == "tomorrow":
        return datetime.combine(now.date() + timedelta(days=1), time(9), tzinfo=now.tzinfo)
    return now + timedelta(days=7) - timedelta(minutes=1)


@router.post("/sensors/alerts/{alert_id}/snooze")
def snooze_from_form(
    request: Request,
    alert_id: ObjectId,
    session: DbSession,
    user: CurrentUser,
    until: Annotated[str, Form(max_length=40)] = "",
    preset: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    zone = request.app.state.settings.zone
    if preset in SNOOZE_PRESETS:
        chosen = snooze_preset(preset, datetime.now(zone))
    else:
        try:
            local = datetime.fromisoformat(until)
        except ValueError:
            raise InvalidInput(_("Choose until when to snooze the alert.")) from None
        chosen = local if local.tzinfo else local.replace(tzinfo=zone)
    alert_work.snooze(session, user, alert_id, chosen)
    return _acted(request, session, user, "snoozed")


@router.get("/sensors/dead-letters")
def dead_letters_page(request: Request, session: DbSession, user: CurrentUser, reason: str = "") -> Response:
    letters = service.list_dead_letters(session, user, reason=reason or None)
    context = {"letters": letters, "reasons": service.dead_letter_reasons(session), "reason": reason}
    return render(request, "sensors/dead_letters.html", context, block="letters")
