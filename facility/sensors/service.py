"""Rules of the sensors domain: the device registry, ingesting batches, alerts, dead letters,
and the readings people look at."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, func, select, update

from facility.core import audit
from facility.core.auth import ensure_role
from facility.core.db import utcnow
from facility.core.models import MANAGING_ROLES, STAFF_ROLES, User
from facility.rooms import service as rooms_service
from facility.rooms.models import Building, Floor, Room
from facility.sensors import alerts as alert_rules
from facility.sensors import rule_settings
from facility.sensors.bookings import notify_managers
from facility.sensors.bookings import room_in_use as booked_now
from facility.sensors.catalogue import band, get_metric, worst
from facility.sensors.exceptions import DeviceNotFound, ReadingStoreDown, UnknownMetric
from facility.sensors.models import Alert, DeadLetter, Device
from facility.sensors.parsing import RawFields, Reading, StatusUpdate
from facility.sensors.store import Latest, Point, ReadingStore, StoreUnavailable

# A chart shows at most about this many points; longer windows are averaged on the server.
CHART_POINTS = 240
# Raw points (or fine means) are read for a month at most; hourly or coarser means for up to the
# rollup's reach, so the 90-day and one-year charts cover their whole window.
MAX_WINDOW = timedelta(days=31)
MAX_AVERAGED_WINDOW = timedelta(days=400)
COARSE_EVERY = timedelta(hours=1)
# A device's last seen time is written when it moved on by this much, not with every batch: the
# gateway records twice a second, and rewriting every device's row each time was most of the
# registry's writes (on SQLite, a checkpoint's fsync every few seconds that stalled the disk).
# Going silent is judged in minutes (tasks.SILENT_AFTER), so this costs nothing.
LAST_SEEN_REFRESH = timedelta(seconds=10)
# Device.raw_fields' width.
RAW_FIELDS_MAX = 1000


@dataclass(frozen=True)
class DeadLetterIn:
    topic: str
    payload: bytes
    reason: str
    detail: str
    received_at: datetime
    profile: str = ""


# --- ingest (called by the gateway's writer) ----------------------------------------------------


def raw_text(fields: dict[str, object]) -> str:
    """A device's raw fields as stored: JSON, cut to the column by dropping the last fields."""
    items = list(fields.items())
    while items:
        text = json.dumps(dict(items), ensure_ascii=False, sort_keys=True, default=str)
        if len(text) <= RAW_FIELDS_MAX:
            return text
        items.pop()
    return ""


def raw_fields_of(device: Device) -> dict[str, object]:
    """The raw fields a device's last message carried (empty when every field was read)."""
    try:
        found = json.loads(device.raw_fields) if device.raw_fields else {}
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def register_devices(
    session: Session,
    readings: Sequence[Reading],
    statuses: Sequence[StatusUpdate],
    now: datetime,
    raw: Sequence[RawFields] = (),
) -> dict[str, Device]:
    """Record every device in the batch: first and last seen, metrics, online, raw fields; new
    ones unassigned. A device heard only through fields nobody reads is registered all the same."""
    # device -> [building, room, metrics, last ts]: a list updated in place, nothing built per
    # reading but for a device's first (a batch has thousands of readings of a few devices).
    seen: dict[str, list[Any]] = {}
    profiles: dict[str, str] = {}
    for r in readings:
        entry = seen.get(r.device)
        if entry is None:
            seen[r.device] = [r.building, r.room, {r.metric}, r.ts]
        else:
            entry[2].add(r.metric)
            if r.ts > entry[3]:
                entry[3] = r.ts
        profiles[r.device] = r.profile
    for s in statuses:
        seen.setdefault(s.device, [s.building, s.room, set(), s.ts])
        profiles.setdefault(s.device, s.profile)
    raw_texts: dict[str, str] = {}
    for unread in sorted(raw, key=lambda unread: unread.ts):
        seen.setdefault(unread.device, ["", "", set(), unread.ts])
        profiles.setdefault(unread.device, unread.profile)
        raw_texts[unread.device] = raw_text(unread.fields)
    if not seen:
        return {}
    devices = {d.code: d for d in session.exec(select(Device).where(col(Device.code).in_(list(seen))))}
    touched = []
    for code, (building, room, metrics, last) in seen.items():
        device = devices.get(code)
        if device is None:
            device = Device(
                code=code,
                profile=profiles[code],
                reported_building=building,
                reported_room=room,
                metrics=",".join(sorted(metrics))[:500],
                raw_fields=raw_texts.get(code, ""),
                first_seen_at=min(now, last),
                last_seen_at=now,
            )
            devices[code] = device
            session.add(device)
            continue
        known = set(filter(None, device.metrics.split(",")))
        if code in raw_texts and device.raw_fields != raw_texts[code]:
            device.raw_fields = raw_texts[code]
            device.online = True
            session.add(device)
        if (
            metrics <= known
            and (device.reported_building, device.reported_room) == (building, room)
            and (device.online or not metrics)
        ):
            if now - device.last_seen_at >= LAST_SEEN_REFRESH:
                touched.append(code)  # only last seen changes: one UPDATE for all of these below
            continue
        device.metrics = ",".join(sorted(known | metrics))[:500]
        device.reported_building, device.reported_room = building, room
        device.last_seen_at = max(device.last_seen_at, now)
        device.online = device.online or bool(metrics)
        session.add(device)
    if touched:
        session.execute(  # type: ignore[call-overload]
            update(Device)
            .where(col(Device.code).in_(touched))
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False)
        )
    for status in sorted(statuses, key=lambda s: s.ts):
        devices[status.device].online = status.online
    session.flush()
    return devices


def record_batch(
    session: Session,
    readings: Sequence[Reading],
    statuses: Sequence[StatusUpdate] = (),
    now: datetime | None = None,
    *,
    room_in_use: alert_rules.RoomInUse = booked_now,
    raw: Sequence[RawFields] = (),
) -> list[Alert]:
    """After the batch is in the store: update the registry and run the alert rules on it.

    The caller writes the store first; if this transaction then fails it retries the whole
    batch, and the store overwrites the same points (same series and timestamp).
    """
    devices = register_devices(session, readings, statuses, now or utcnow(), raw)
    room_ids = {d.room_id for d in devices.values() if d.room_id}
    kinds = dict(session.exec(select(Room.id, Room.kind).where(col(Room.id).in_(room_ids))).all())
    rule_set = (
        rule_settings.current_rule_set(session)
        if any(r.metric in alert_rules.RULE_METRICS for r in readings)
        else alert_rules.DEFAULT_RULE_SET
    )
    changed = alert_rules.evaluate(
        session,
        readings,
        devices,
        kinds,  # type: ignore[arg-type]
        room_in_use=room_in_use,
        rule_set=rule_set,
    )
    notify_managers(session, changed)
    return changed


def _printable(text: str, limit: int) -> str:
    # PostgreSQL text cannot hold NUL; one such payload must not block every later batch.
    return text.replace("\x00", "\ufffd")[:limit]


def record_dead_letters(session: Session, letters: Sequence[DeadLetterIn], gateway: str) -> None:
    for letter in letters:
        session.add(
            DeadLetter(
                received_at=letter.received_at,
                topic=_printable(letter.topic, 300),
                payload=_printable(letter.payload[:2000].decode("utf-8", "replace"), 2000),
                reason=letter.reason[:40],
                detail=_printable(letter.detail, 300),
                gateway=gateway[:100],
                profile=letter.profile[:32],
            )
        )
    session.flush()


# --- devices ------------------------------------------------------------------------------------


def list_devices(
    session: Session, actor: User, *, unassigned: bool | None = None, offset: int = 0, limit: int | None = None
) -> list[Device]:
    ensure_role(actor, *STAFF_ROLES)
    query = select(Device).order_by(col(Device.room_id).is_not(None), Device.code)
    if unassigned is not None:
        query = query.where(col(Device.room_id).is_(None) if unassigned else col(Device.room_id).is_not(None))
    return list(session.exec(query.offset(offset).limit(limit)).all())


def count_unassigned_devices(session: Session, actor: User) -> int:
    ensure_role(actor, *STAFF_ROLES)
    return session.exec(select(func.count()).select_from(Device).where(col(Device.room_id).is_(None))).one()


def place_device(session: Session, actor: User, device_id: int, room_id: int | None) -> Device:
    """A manager places a device in a room (or takes it out); audited."""
    ensure_role(actor, *MANAGING_ROLES)
    device = session.get(Device, device_id)
    if device is None:
        raise DeviceNotFound(device_id)
    if room_id is not None:
        rooms_service.get_room(session, room_id, actor)
    before = audit.snapshot(device)
    device.room_id = room_id
    device.placed_at = utcnow()
    session.add(device)
    session.flush()
    audit.record(session, actor, "device.place", "device", device.id, before=before, after=device)
    return device


def room_device_codes(session: Session, room_id: int) -> list[str]:
    return list(session.exec(select(Device.code).where(Device.room_id == room_id)).all())


# --- readings people look at --------------------------------------------------------------------


def guard_store(call):  # type: ignore[no-untyped-def]
    """Run a store read; an unreachable store becomes a 503 for the API and pages."""
    try:
        return call()
    except StoreUnavailable:
        raise ReadingStoreDown() from None


def room_latest(session: Session, store: ReadingStore, viewer: User | None, room_id: int) -> dict[str, Latest]:
    """The newest value of each metric measured in a room (by any device placed there); a device's
    health (its chip's temperature) is not the room's."""
    ensure_role(viewer, *STAFF_ROLES)
    rooms_service.get_room(session, room_id, viewer)
    newest: dict[str, Latest] = {}
    for item in guard_store(lambda: store.latest(room_device_codes(session, room_id))):
        metric = get_metric(item.metric)
        if metric is not None and metric.health:
            continue
        if item.metric not in newest or item.ts > newest[item.metric].ts:
            newest[item.metric] = item
    return dict(sorted(newest.items()))


def default_every(start: datetime, end: datetime) -> timedelta | None:
    """Averaging window that keeps a chart near CHART_POINTS points (None below a minute)."""
    every = (end - start) / CHART_POINTS
    return timedelta(seconds=int(every.total_seconds())) if every >= timedelta(minutes=1) else None


def room_series(
    session: Session,
    store: ReadingStore,
    viewer: User | None,
    room_id: int,
    metric: str,
    start: datetime,
    end: datetime,
    every: timedelta | None,
) -> list[Point]:
    ensure_role(viewer, *STAFF_ROLES)
    if get_metric(metric) is None:
        raise UnknownMetric(metric)
    rooms_service.get_room(session, room_id, viewer)
    longest = MAX_AVERAGED_WINDOW if every is not None and every >= COARSE_EVERY else MAX_WINDOW
    end = min(end, start + longest)
    codes = room_device_codes(session, room_id)
    return guard_store(lambda: store.series(codes, metric, start, end, every))  # type: ignore[no-any-return]


@dataclass
class BoardRoom:
    room: Room
    building: Building
    floor: str
    values: dict[str, Latest]
    alerts: int
    band: str = "none"


def board(
    session: Session,
    store: ReadingStore,
    viewer: User,
    *,
    building: str | None = None,
    floor: str | None = None,
) -> list[BoardRoom]:
    """Every room with a placed device, its latest values and active alert count."""
    ensure_role(viewer, *STAFF_ROLES)
    query = (
        select(Device.code, Room, Building, Floor)
        .join(Room, col(Room.id) == Device.room_id)
        .join(Building, col(Building.id) == Room.building_id)
        .outerjoin(Floor, col(Floor.id) == Room.floor_id)
    )
    if building:
        query = query.where(Building.code == building)
    if floor:
        query = query.where(Floor.label == floor)
    rooms: dict[int, BoardRoom] = {}
    codes_by_room: dict[str, int] = {}
    for code, room, bld, flr in session.exec(query.order_by(col(Building.sort_order), col(Room.code))):
        room_id = int(room.id or 0)
        rooms.setdefault(room_id, BoardRoom(room, bld, flr.label if flr else "", {}, 0))
        codes_by_room[code] = room_id
    for item in guard_store(lambda: store.latest(list(codes_by_room))):
        values = rooms[codes_by_room[item.device]].values
        if item.metric not in values or item.ts > values[item.metric].ts:
            values[item.metric] = item
    counts = session.exec(
        select(Alert.room_id, func.count()).where(Alert.state == "active").group_by(col(Alert.room_id))
    )
    for alert_room, n in counts:
        if alert_room in rooms:
            rooms[alert_room].alerts = n
    for tile in rooms.values():
        tile.band = worst([band(m, v.value) for m, v in tile.values.items()])
    return list(rooms.values())


# --- alerts and dead letters --------------------------------------------------------------------


def list_alerts(
    session: Session,
    *,
    active: bool | None = None,
    since_id: int | None = None,
    room_id: int | None = None,
    limit: int = 500,
) -> list[Alert]:
    """Alerts oldest first (so pollers can follow `since_id`); active=True for the open ones."""
    query = select(Alert)
    if active is not None:
        query = query.where(Alert.state == ("active" if active else "cleared"))
    if since_id is not None:
        query = query.where(col(Alert.id) > since_id)
    if room_id is not None:
        query = query.where(Alert.room_id == room_id)
    return list(session.exec(query.order_by(col(Alert.id)).limit(limit)).all())


def list_dead_letters(
    session: Session, actor: User, *, reason: str | None = None, limit: int = 100
) -> list[DeadLetter]:
    ensure_role(actor, *MANAGING_ROLES)
    query = select(DeadLetter)
    if reason:
        query = query.where(DeadLetter.reason == reason)
    return list(session.exec(query.order_by(col(DeadLetter.id).desc()).limit(limit)).all())


def dead_letter_reasons(session: Session) -> dict[str, int]:
    rows = session.exec(select(DeadLetter.reason, func.count()).group_by(DeadLetter.reason))
    return dict(sorted(rows.all()))


def rooms_by_id(session: Session, room_ids: set[int]) -> dict[int, Room]:
    if not room_ids:
        return {}
    return {r.id: r for r in session.exec(select(Room).where(col(Room.id).in_(room_ids)))}  # type: ignore[misc]


def devices_by_id(session: Session, device_ids: set[int]) -> dict[int, Device]:
    """The devices alerts name: an alert from a device not yet placed shows which device it is."""
    if not device_ids:
        return {}
    found = session.exec(select(Device).where(col(Device.id).in_(device_ids)))
    return {d.id: d for d in found}  # type: ignore[misc]


def list_devices_in_room(session: Session, room_id: int) -> list[Device]:
    return list(session.exec(select(Device).where(Device.room_id == room_id).order_by(Device.code)))


def recent_cleared_alerts(session: Session, *, limit: int = 50) -> list[Alert]:
    query = select(Alert).where(Alert.state == "cleared").order_by(col(Alert.id).desc()).limit(limit)
    return list(session.exec(query).all())


def count_open_alerts(session: Session) -> int:
    """Alerts still active and not snoozed (the manager's today page shows the number)."""
    now = utcnow()
    waiting = or_(col(Alert.snoozed_until).is_(None), col(Alert.snoozed_until) <= now)
    return session.exec(select(func.count()).select_from(Alert).where(Alert.state == "active", waiting)).one()
