"""The manager's "building today": each room's window, mode, desired vs reported, overrides, and
the bookings released as no-shows today."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from facility.booking.models import Booking, BookingStatus
from facility.core.auth import ensure_role
from facility.core.config import EnergySettings
from facility.core.models import STAFF_ROLES, User
from facility.energy import modes, service
from facility.energy.kinds import Mode
from facility.energy.models import RoomModeState
from facility.energy.service import RoomDay
from facility.energy.windows import ComfortWindow, Segment, local_bounds, mode_at, next_window
from facility.rooms.models import Room
from facility.sensors.command_models import DesiredState
from facility.sensors.models import Device
from facility.sensors.store import Latest, ReadingStore

# Readings shown beside the actuators' own reported values.
READINGS = ("temperature", "occupancy")


@dataclass(frozen=True)
class RoomToday:
    day: RoomDay
    now: Segment | None
    next: ComfortWindow | None
    state: RoomModeState | None
    planned: dict[str, str]
    channels: list[DesiredState]
    readings: dict[str, Latest]

    @property
    def room(self) -> Room:
        return self.day.room

    @property
    def override_active(self) -> bool:
        state = self.state
        return bool(
            state
            and state.override_mode
            and state.override_until
            and self.now
            and state.override_until > self.now.start
        )


def building_today(
    session: Session,
    store: ReadingStore,
    viewer: User | None,
    now: datetime,
    zone: ZoneInfo,
    bounds: EnergySettings,
    *,
    building_id: int | None = None,
) -> list[RoomToday]:
    ensure_role(viewer, *STAFF_ROLES)
    rooms = [r for r in service.controlled_rooms(session) if building_id is None or r.building_id == building_id]
    days = service.room_days(session, rooms, now.astimezone(zone).date(), zone, bounds)
    ids = [r.id or 0 for r in rooms]
    states = {
        s.room_id: s for s in session.exec(select(RoomModeState).where(service.among(col(RoomModeState.room_id), ids)))
    }
    channels: dict[int, list[DesiredState]] = defaultdict(list)
    actuators = (
        select(Device.room_id, DesiredState)
        .join(Device, col(Device.id) == DesiredState.device_id)
        .where(service.among(col(Device.room_id), ids))
        .order_by(col(DesiredState.device_id), col(DesiredState.channel))
    )
    for placed_in, row in session.exec(actuators):
        channels[placed_in or 0].append(row)
    codes: dict[int, list[str]] = defaultdict(list)
    for placed_in, code in session.exec(
        select(Device.room_id, Device.code).where(service.among(col(Device.room_id), ids))
    ):
        codes[placed_in or 0].append(code)
    latest: dict[str, list[Latest]] = defaultdict(list)
    for item in store.latest([c for cs in codes.values() for c in cs]) if codes else []:
        latest[item.device].append(item)
    table = modes.mode_table(session)
    rows = []
    for day in days:
        room_id = day.room.id or 0
        state = states.get(room_id)
        mode = Mode(state.mode) if state and state.mode in Mode.__members__ else None
        readings = {
            item.metric: item for code in codes.get(room_id, []) for item in latest[code] if item.metric in READINGS
        }
        planned = {a.channel: a.value for a in modes.actions_for(table, day.kind, mode)} if mode else {}
        rows.append(
            RoomToday(
                day,
                mode_at(day.segments, now),
                next_window(day.windows, now),
                state,
                planned,
                channels.get(room_id, []),
                readings,
            )
        )
    return rows


def released_today(session: Session, viewer: User | None, now: datetime, zone: ZoneInfo) -> list[Booking]:
    """Bookings of today released as no-shows (by the sensors or by the check-in grace)."""
    ensure_role(viewer, *STAFF_ROLES)
    start, end = local_bounds(now.astimezone(zone).date(), zone)
    return list(
        session.exec(
            select(Booking)
            .where(Booking.status == BookingStatus.no_show.value, Booking.starts_at >= start, Booking.starts_at < end)
            .order_by(col(Booking.starts_at))
        )
    )
