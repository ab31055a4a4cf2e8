"""JSON API of the sensors domain."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request

from facility.core.auth import CurrentUser, DbSession, ensure_role
from facility.core.db import utcnow
from facility.core.errors import Forbidden, InvalidInput, NotAuthenticated, error_responses
from facility.core.i18n import gettext as _
from facility.core.models import STAFF_ROLES
from facility.core.params import MAX_ID, ObjectId
from facility.rooms.exceptions import RoomNotFound
from facility.sensors import alert_work, occupancy, placement, service
from facility.sensors.catalogue import METRICS
from facility.sensors.exceptions import (
    AlertAlreadyHandled,
    AlertNotFound,
    DeviceNotFound,
    ReadingStoreDown,
    UnknownMetric,
)
from facility.sensors.models import Device
from facility.sensors.schemas import (
    AlertAssign,
    AlertNote,
    AlertPublic,
    AlertSnooze,
    DeadLetterPublic,
    DevicePlacement,
    DevicePublic,
    LatestValue,
    MetricPublic,
    RoomSuggestion,
    Series,
    SeriesPoint,
    UtilisationPublic,
)
from facility.sensors.store import ReadingStore, open_store

router = APIRouter(prefix="/api/v1", tags=["sensors"])
DURATION = re.compile(r"^(\d+)(s|m|h|d)?$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
COMMON = error_responses(NotAuthenticated, Forbidden)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def reading_store(request: Request) -> ReadingStore:
    """One store per app, opened on first use (the settings say which backend)."""
    store = getattr(request.app.state, "reading_store", None)
    if store is None:
        store = open_store(request.app.state.settings)
        request.app.state.reading_store = store
    return store


def parse_every(text: str | None) -> timedelta | None:
    """`300`, `300s`, `5m`, `1h`, `1d`; empty means chosen for the window."""
    if not text:
        return None
    match = DURATION.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise InvalidInput(_("every must look like 30s, 5m, 1h or 1d"))
    return timedelta(seconds=int(match.group(1)) * UNIT_SECONDS[match.group(2) or "s"])


def _window(start: datetime | None, end: datetime | None, default: timedelta) -> tuple[datetime, datetime]:
    for value in (start, end):
        if value is not None and (value.tzinfo is None or not EARLIEST <= value <= LATEST):
            raise InvalidInput(
                _("start and end need a UTC offset and a year from 2000 to 2100, e.g. 2026-11-25T09:00:00+09:00")
            )
    end = end or utcnow()
    start = start or end - default
    if start >= end:
        raise InvalidInput(_("start must be before end"))
    return start, end


def device_public(device: Device) -> DevicePublic:
    data = device.model_dump()
    data["metrics"] = [m for m in device.metrics.split(",") if m]
    data["raw_fields"] = service.raw_fields_of(device)
    return DevicePublic(**data)


@router.get(
    "/rooms/{room_id}/readings/latest",
    response_model=dict[str, LatestValue],
    responses=error_responses(RoomNotFound, ReadingStoreDown) | COMMON,
)
def latest_readings(
    room_id: ObjectId, request: Request, session: DbSession, user: CurrentUser
) -> dict[str, LatestValue]:
    """The newest value of every metric measured in the room."""
    latest = service.room_latest(session, reading_store(request), user, room_id)
    return {
        metric: LatestValue(value=item.value, unit=METRICS[metric].unit, ts=item.ts)
        for metric, item in latest.items()
        if metric in METRICS
    }


@router.get(
    "/rooms/{room_id}/readings",
    response_model=Series,
    responses=error_responses(RoomNotFound, UnknownMetric, ReadingStoreDown) | COMMON,
)
def room_readings(
    room_id: ObjectId,
    request: Request,
    session: DbSession,
    user: CurrentUser,
    metric: Annotated[str, Query(max_length=40)],
    start: datetime | None = None,
    end: datetime | None = None,
    every: Annotated[str | None, Query(max_length=10)] = None,
) -> Series:
    """One metric over [start, end) (default: the last 24 hours), averaged per `every`."""
    start, end = _window(start, end, timedelta(hours=24))
    step = parse_every(every) or service.default_every(start, end)
    points = service.room_series(session, reading_store(request), user, room_id, metric, start, end, step)
    return Series(
        metric=metric,
        unit=METRICS[metric].unit,
        every_seconds=int(step.total_seconds()) if step else None,
        points=[SeriesPoint(ts=p.ts, value=p.value) for p in points],
    )


@router.get(
    "/rooms/{room_id}/occupancy",
    response_model=UtilisationPublic,
    responses=error_responses(RoomNotFound, ReadingStoreDown) | COMMON,
)
def room_occupancy(
    room_id: ObjectId,
    request: Request,
    session: DbSession,
    user: CurrentUser,
    start: datetime | None = None,
    end: datetime | None = None,
) -> UtilisationPublic:
    """Measured use of a room over [start, end) (default: the last 7 days), in 15-minute slots."""
    start, end = _window(start, end, timedelta(days=7))
    found = occupancy.measured_utilisation(session, reading_store(request), user, room_id, start, end)
    return UtilisationPublic(**vars(found), occupied_share=found.occupied_share)


@router.get("/devices", response_model=list[DevicePublic], responses=COMMON)
def list_devices(session: DbSession, user: CurrentUser, unassigned: bool | None = None) -> list[DevicePublic]:
    """Every device the gateway has seen; `unassigned=true` for those waiting to be placed."""
    return [device_public(d) for d in service.list_devices(session, user, unassigned=unassigned)]


@router.get(
    "/devices/{device_id}/room-suggestions",
    response_model=list[RoomSuggestion],
    responses=error_responses(DeviceNotFound) | COMMON,
)
def room_suggestions(device_id: ObjectId, session: DbSession, user: CurrentUser) -> list[RoomSuggestion]:
    """Rooms whose code or name match the device's own id, label or reported place, best first."""
    return [
        RoomSuggestion(
            room_id=s.room.id or 0,
            code=s.room.code,
            name_ko=s.room.name_ko,
            name_en=s.room.name_en,
            score=s.score,
            matched=s.matched,
        )
        for s in placement.suggest_rooms(session, user, device_id)
    ]


@router.patch(
    "/devices/{device_id}",
    response_model=DevicePublic,
    responses=error_responses(DeviceNotFound, RoomNotFound) | COMMON,
)
def place_device(
    device_id: ObjectId, placement: DevicePlacement, session: DbSession, user: CurrentUser
) -> DevicePublic:
    """A manager places a device in a room (room_id null takes it out); audited."""
    return device_public(service.place_device(session, user, device_id, placement.room_id))


@router.get("/alerts", response_model=list[AlertPublic], responses=COMMON)
def list_alerts(
    session: DbSession,
    user: CurrentUser,
    active: bool | None = None,
    since_id: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
    room_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AlertPublic]:
    """Alerts oldest first; `active=true` for open ones, `since_id` to follow new ones."""
    ensure_role(user, *STAFF_ROLES)
    alerts = service.list_alerts(session, active=active, since_id=since_id, room_id=room_id, limit=limit)
    return [AlertPublic.model_validate(a) for a in alerts]


ALERT_ERRORS = error_responses(AlertNotFound, AlertAlreadyHandled, InvalidInput) | COMMON


@router.post("/alerts/{alert_id}/acknowledge", response_model=AlertPublic, responses=ALERT_ERRORS)
def acknowledge_alert(alert_id: ObjectId, body: AlertNote, session: DbSession, user: CurrentUser) -> AlertPublic:
    """Crew or a manager acknowledges an alert (first one wins; later ones 409); audited."""
    return AlertPublic.model_validate(alert_work.acknowledge(session, user, alert_id, body.note))


@router.post("/alerts/{alert_id}/assign", response_model=AlertPublic, responses=ALERT_ERRORS)
def assign_alert(alert_id: ObjectId, body: AlertAssign, session: DbSession, user: CurrentUser) -> AlertPublic:
    """A manager assigns an alert to a staff member, who is notified; audited."""
    return AlertPublic.model_validate(alert_work.assign(session, user, alert_id, body.assignee_id))


@router.post("/alerts/{alert_id}/snooze", response_model=AlertPublic, responses=ALERT_ERRORS)
def snooze_alert(alert_id: ObjectId, body: AlertSnooze, session: DbSession, user: CurrentUser) -> AlertPublic:
    """A manager snoozes an alert until a time (at most 7 days); audited."""
    return AlertPublic.model_validate(alert_work.snooze(session, user, alert_id, body.until))


@router.post("/alerts/{alert_id}/resolve", response_model=AlertPublic, responses=ALERT_ERRORS)
def resolve_alert(alert_id: ObjectId, body: AlertNote, session: DbSession, user: CurrentUser) -> AlertPublic:
    """Crew or a manager resolves an alert with a note (first one wins; later ones 409); audited."""
    return AlertPublic.model_validate(alert_work.resolve(session, user, alert_id, body.note))


@router.get("/dead-letters", response_model=list[DeadLetterPublic], responses=COMMON)
def list_dead_letters(
    session: DbSession,
    user: CurrentUser,
    reason: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeadLetterPublic]:
    """Recent messages that could not become readings, newest first (managers)."""
    letters = service.list_dead_letters(session, user, reason=reason, limit=limit)
    return [DeadLetterPublic.model_validate(d) for d in letters]


@router.get("/sensors/metrics", response_model=list[MetricPublic])
def metric_catalogue() -> list[MetricPublic]:
    """The metric catalogue: label, canonical unit, accepted units, plausible range and guides."""
    return [
        MetricPublic(
            name=m.name,
            label=m.title(),
            unit=m.unit,
            low=m.low,
            high=m.high,
            decimals=m.decimals,
            units=sorted(m.units),
            states=sorted(m.states),
            guides=list(m.guides),
        )
        for m in METRICS.values()
    ]
