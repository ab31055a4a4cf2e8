"""The scheduler's drive step: each controlled room's mode a few minutes ahead, and the desired
states of its actuators when the mode changes.

A manager's override wins until it expires. Presence measured now keeps a room in comfort
whatever its timeline says (never a switch-off of a room in use) and, without a booking, raises an
`occupied_unbooked` alert for staff.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from facility.core import audit
from facility.core.auth import ensure_role
from facility.core.config import EnergySettings
from facility.core.errors import InvalidInput
from facility.core.i18n import gettext as _
from facility.core.models import MANAGING_ROLES, User
from facility.energy import commands, modes, presence, service
from facility.energy.commands import DesiredCommand
from facility.energy.kinds import Mode
from facility.energy.models import RoomModeState
from facility.energy.service import RoomDay
from facility.energy.windows import mode_at
from facility.rooms import service as rooms_service
from facility.sensors.command_models import DesiredState
from facility.sensors.models import Alert, Device
from facility.sensors.store import ReadingStore

Deliver = Callable[[Session, Sequence[DesiredCommand]], list[DesiredCommand]]
IDLE = frozenset({Mode.economy, Mode.protection})
# A manager's override lasts at most this long (an event week), so none is forgotten for a season.
MAX_OVERRIDE = timedelta(days=7)


@dataclass(frozen=True)
class RoomDrive:
    room_id: int
    mode: Mode
    reason: str
    commands: tuple[DesiredCommand, ...]


def decide(day: RoomDay, state: RoomModeState | None, at: datetime, present: bool) -> tuple[Mode, str]:
    """The mode a room should be in at `at`, and why (pure)."""
    if state is not None and state.override_mode and state.override_until and state.override_until > at:
        return Mode(state.override_mode), "override"
    segment = mode_at(day.segments, at)
    mode = segment.mode if segment is not None else Mode.protection
    if day.rules.always_on:
        return Mode.comfort, "always_on"
    if present and mode in IDLE:
        return Mode.comfort, "presence"
    return mode, "window" if segment is not None and segment.window is not None else "timeline"


def actuators_by_room(session: Session, room_ids: Sequence[int]) -> dict[int, list[tuple[int, str]]]:
    """Each room's (device, channel) pairs the command path knows (reported or noted), one query;
    the devices stay in the session, so `set_desired` finds each without asking the database."""
    found: dict[int, list[tuple[int, str]]] = defaultdict(list)
    query = (
        select(Device, DesiredState.channel)
        .join(DesiredState, col(DesiredState.device_id) == Device.id)
        .where(service.among(col(Device.room_id), room_ids))
    )
    for device, channel in session.exec(query):
        found[device.room_id or 0].append((device.id or 0, channel))
    return found


def plan_commands(
    room_id: int, channels: Sequence[tuple[int, str]], actions: Sequence[modes.Action]
) -> list[DesiredCommand]:
    """(device, channel, value) for each action a device of the room has the channel for."""
    return [
        DesiredCommand(room_id, device_id, channel, action.typed())
        for action in actions
        for device_id, channel in channels
        if channel == action.channel
    ]


def drive(
    session: Session,
    store: ReadingStore,
    now: datetime,
    zone: ZoneInfo,
    bounds: EnergySettings,
    *,
    room_ids: Sequence[int] | None = None,
    deliver: Deliver = commands.deliver,
) -> list[RoomDrive]:
    """Bring every controlled room (or the given ones) to the mode it should be in shortly; every
    changing room's desired states go to the command path in one bulk call (`deliver`)."""
    at = now + timedelta(minutes=bounds.drive_ahead_minutes)
    rooms = [r for r in service.controlled_rooms(session) if room_ids is None or r.id in room_ids]
    days = service.room_days(session, rooms, at.astimezone(zone).date(), zone, bounds)
    ids = [r.id or 0 for r in rooms]
    query = select(RoomModeState).where(service.among(col(RoomModeState.room_id), ids))
    states = {s.room_id: s for s in session.exec(query)}
    sensed = presence.presence_devices(session, ids)
    latest = store.latest([c for codes in sensed.values() for c in codes]) if sensed else []
    by_device = defaultdict(list)
    for item in latest:
        by_device[item.device].append(item)
    devices = actuators_by_room(session, ids)
    table = modes.mode_table(session)
    changes: list[tuple[int, Mode, str, list[DesiredCommand]]] = []
    for day in days:
        room_id = day.room.id or 0
        present = presence.present_now([x for c in sensed.get(room_id, []) for x in by_device[c]], now)
        state = states.get(room_id)
        mode, reason = decide(day, state, at, present)
        if present and reason == "presence" and not _booked(day, now):
            _alert_unbooked(session, room_id, now)
        if state is not None and state.mode == mode.value:
            continue
        planned = plan_commands(room_id, devices.get(room_id, []), modes.actions_for(table, day.kind, mode))
        changes.append((room_id, mode, reason, planned))
    sent = set(deliver(session, [c for *_, planned in changes for c in planned]))
    driven = [RoomDrive(r, m, why, tuple(c for c in planned if c in sent)) for r, m, why, planned in changes]
    # The rooms' new modes and their audit rows after every command: one batched flush, not two
    # round trips a room between the command path's own flushes.
    for change in driven:
        _record(session, states.get(change.room_id), change.room_id, change.mode, change.reason, now)
    session.flush()
    return driven


def _booked(day: RoomDay, at: datetime) -> bool:
    return any(o.start <= at < o.end for w in day.windows for o in w.sources)


def _alert_unbooked(session: Session, room_id: int, now: datetime) -> None:
    """The same alert the sensors' comparison raises, once: staff look, nothing is switched off."""
    active = session.exec(
        select(Alert).where(Alert.rule == "occupied_unbooked", Alert.room_id == room_id, Alert.state == "active")
    ).first()
    if active is None:
        session.add(
            Alert(
                rule="occupied_unbooked",
                room_id=room_id,
                metric="occupancy",
                severity="info",
                message="People present with no booking or Institute block: kept in comfort",
                raised_at=now,
            )
        )


def _record(
    session: Session, state: RoomModeState | None, room_id: int, mode: Mode, reason: str, now: datetime
) -> None:
    before = audit.snapshot(state) if state is not None else None
    if state is None:
        state = RoomModeState(room_id=room_id, mode=mode.value, since=now, reason=reason)
    else:
        state.mode, state.since, state.reason = mode.value, now, reason
    # No flush per room: the drive flushes once, so a thousand rooms changing at 08:00 are a few
    # batched statements rather than two round trips each.
    session.add(state)
    audit.record(session, None, "energy.mode", "room", room_id, before=before, after=state)


def set_override(
    session: Session, actor: User, room_id: int, mode: Mode | None, until: datetime | None, now: datetime
) -> RoomModeState:
    """A manager holds a room in a mode until `until` (None clears it); the next drive applies it."""
    ensure_role(actor, *MANAGING_ROLES)
    rooms_service.get_room(session, room_id, actor)
    if mode is not None and (until is None or not now < until <= now + MAX_OVERRIDE):
        raise InvalidInput(_("An override needs an end within the next 7 days."))
    state = session.get(RoomModeState, room_id, with_for_update=True)
    before = audit.snapshot(state) if state is not None else None
    if state is None:
        state = RoomModeState(room_id=room_id, mode="", since=now, reason="new")
    state.override_mode = mode.value if mode is not None else None
    state.override_until = until if mode is not None else None
    state.override_by = actor.id if mode is not None else None
    session.add(state)
    session.flush()
    audit.record(session, actor, "energy.override", "room", room_id, before=before, after=state)
    return state
