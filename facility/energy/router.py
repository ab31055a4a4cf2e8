"""JSON API of the energy domain: a room's comfort windows, the energy report, the mode table."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from icalendar import Calendar, Event

from facility.booking import ical
from facility.core import feeds
from facility.core.auth import CurrentUser, DbSession, ensure_role
from facility.core.db import utcnow
from facility.core.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound, error_responses
from facility.core.i18n import gettext as _
from facility.core.models import STAFF_ROLES
from facility.core.params import ObjectId
from facility.energy import accounting, drive, modes, service
from facility.energy.accounting import Report, ReportRow
from facility.energy.schemas import (
    ComfortWindowsPublic,
    EnergyReportPublic,
    ModeActionIn,
    OverrideIn,
    ReportRowPublic,
    SegmentPublic,
    SourcePublic,
)
from facility.energy.service import RoomDay
from facility.energy.windows import ComfortWindow
from facility.rooms.exceptions import RoomNotFound
from facility.rooms.models import Room
from facility.sensors.exceptions import ReadingStoreDown
from facility.sensors.router import reading_store

router = APIRouter(prefix="/api/v1", tags=["energy"])
COMMON = error_responses(NotAuthenticated, Forbidden)
# Days of comfort windows a calendar feed carries (two weeks: a BMS plans a week ahead).
FEED_DAYS = 14


def windows_public(day: RoomDay, on: date) -> ComfortWindowsPublic:
    return ComfortWindowsPublic(
        room_id=day.room.id or 0,
        date=on,
        energy_kind=day.kind,
        lead_minutes=int(day.lead.total_seconds() // 60),
        hold_minutes=int(day.rules.hold.total_seconds() // 60),
        always_on=day.rules.always_on,
        windows=[
            SegmentPublic(
                mode=s.mode,
                start=s.start,
                end=s.end,
                sources=[
                    SourcePublic(
                        source=o.source, id=o.ref_id, title=o.title, start=o.start, end=o.end, all_day=o.all_day
                    )
                    for o in (s.window.sources if s.window else ())
                ],
            )
            for s in day.segments
        ],
    )


def windows_ics(day_windows: list[ComfortWindow], room: Room, zone: ZoneInfo) -> bytes:
    """The room's comfort windows as iCalendar events (start = the booking minus the lead), for a
    Home Assistant calendar trigger or any BMS that reads a calendar."""
    calendar = Calendar()
    calendar.add("prodid", ical.PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{room.code} comfort")
    calendar.add("x-wr-timezone", zone.key)
    for window in day_windows:
        event = Event()
        event.add("uid", f"comfort-{room.id}-{window.start:%Y%m%dT%H%M%SZ}@{ical.UID_DOMAIN}")
        event.add("dtstamp", utcnow())
        event.add("dtstart", window.start.astimezone(zone))
        event.add("dtend", window.end.astimezone(zone))
        event.add("summary", f"comfort {room.code}")
        event.add("location", f"{room.name_ko} ({room.code})")
        event.add("status", "CONFIRMED")
        event.add("description", "\n".join(f"{o.source} {o.ref_id}: {o.title}" for o in window.sources))
        calendar.add_component(event)
    timezone = ical.timezone_component(zone.key)
    if timezone is not None and day_windows:
        calendar.subcomponents.insert(0, timezone)
    return bytes(calendar.to_ical())


@router.get("/rooms/{room_id}/comfort-windows.ics", responses=error_responses(NotFound))
def comfort_windows_feed(room_id: ObjectId, token: str, request: Request, session: DbSession) -> Response:
    """The room's comfort windows of the next two weeks, behind the room calendar feed's secret token."""
    if not feeds.is_valid(session, request.app.state.secret_key, f"room:{room_id}", token):
        raise NotFound(_("No such calendar."))
    room = session.get(Room, room_id)
    if room is None:
        raise NotFound(_("No such calendar."))
    settings = request.app.state.settings
    today = utcnow().astimezone(settings.zone).date()
    found: dict[datetime, ComfortWindow] = {}
    for offset in range(FEED_DAYS):
        day = service.room_days(session, [room], today + timedelta(days=offset), settings.zone, settings.energy)[0]
        for window in day.windows:
            found.setdefault(window.start, window)
    body = windows_ics(sorted(found.values(), key=lambda w: w.start), room, settings.zone)
    return Response(body, media_type="text/calendar; charset=utf-8", headers={"Cache-Control": "private, max-age=300"})


@router.get(
    "/rooms/{room_id}/comfort-windows",
    response_model=ComfortWindowsPublic,
    responses=error_responses(RoomNotFound, InvalidInput) | COMMON,
)
def comfort_windows(
    room_id: ObjectId,
    request: Request,
    session: DbSession,
    user: CurrentUser,
    on: Annotated[date | None, Query(alias="date")] = None,
) -> ComfortWindowsPublic:
    """The room's day in modes (comfort windows with their source bookings, series and blocks)."""
    settings = request.app.state.settings
    day = on or utcnow().astimezone(settings.zone).date()
    return windows_public(service.room_day(session, user, room_id, day, settings.zone, settings.energy), day)


def row_public(row: ReportRow) -> ReportRowPublic:
    return ReportRowPublic(
        key=row.key,
        kwh=round(row.kwh, 3),
        booked_hours=round(row.booked_hours, 2),
        conditioned_hours=round(row.conditioned_hours, 2),
        kwh_per_booked_hour=None if row.kwh_per_booked_hour is None else round(row.kwh_per_booked_hour, 3),
        baseline_kwh=round(row.baseline_kwh, 3),
        savings_kwh=round(row.savings_kwh, 3),
        savings_percent=None if row.savings_percent is None else round(row.savings_percent, 1),
        rooms=len(row.rooms),
    )


def report_public(report: Report) -> EnergyReportPublic:
    return EnergyReportPublic(
        start=report.first,
        end=report.last,
        by=report.by,
        rows=[row_public(r) for r in report.rows],
        total=row_public(report.total),
        months=[row_public(r) for r in report.months],
    )


@router.get(
    "/energy/report",
    response_model=EnergyReportPublic,
    response_model_by_alias=True,
    responses=error_responses(InvalidInput, ReadingStoreDown) | COMMON,
)
def energy_report(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
    by: Annotated[str, Query(max_length=10)] = "room",
) -> EnergyReportPublic:
    """kWh, booked and conditioned hours, kWh per booked hour and savings, by room, kind or building."""
    settings = request.app.state.settings
    report = accounting.energy_report(
        session, reading_store(request), user, start, end, by, settings.zone, settings.energy
    )
    return report_public(report)


@router.get("/energy/modes", response_model=dict[str, dict[str, dict[str, str]]], responses=COMMON)
def mode_table(session: DbSession, user: CurrentUser) -> dict[str, dict[str, dict[str, str]]]:
    """What each mode sets on each kind of room's actuators."""
    ensure_role(user, *STAFF_ROLES)
    return {
        kind.value: {mode.value: cells for mode, cells in table.items()}
        for kind, table in modes.mode_table(session).items()
    }


@router.put(
    "/energy/modes",
    response_model=dict[str, dict[str, dict[str, str]]],
    responses=error_responses(InvalidInput) | COMMON,
)
def set_mode_action(data: ModeActionIn, session: DbSession, user: CurrentUser) -> dict[str, dict[str, dict[str, str]]]:
    """A manager sets one cell of the mode table."""
    modes.set_action(session, user, data.energy_kind, data.mode, data.channel, data.value)
    return mode_table(session, user)


@router.put(
    "/rooms/{room_id}/energy-override",
    responses=error_responses(RoomNotFound, InvalidInput) | COMMON,
)
def set_override(room_id: ObjectId, data: OverrideIn, session: DbSession, user: CurrentUser) -> dict[str, object]:
    """A manager holds the room in a mode until a time (within 7 days); no mode clears it."""
    state = drive.set_override(session, user, room_id, data.mode, data.until, utcnow())
    return {"room_id": room_id, "override_mode": state.override_mode, "override_until": state.override_until}
