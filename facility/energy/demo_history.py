"""A month of energy meter readings for the demo campus, from a simple thermal model of each room.

Each taught room, hall and studio gets a placed meter `em-<room>` whose cumulative kWh counter
is written hourly for the last 30 days. The heating it counts is a first-order room model: the
room loses `ua` kW per kelvin to a December Seoul outdoor temperature, stores `mass` kWh per
kelvin, and a heat pump (COP 3, at most `peak` kW of heat) brings it toward the setpoint of the
mode the room's own timeline (its comfort windows from the demo's bookings) has at that hour. The
same model run on the fixed schedule (comfort 07-22 every day, protection at night) gives what
that schedule would really have used, so docs/energy.md can set the report's estimated savings
beside the model's own figure. Deterministic: a rerun on the same day writes the same points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from facility.core.config import EnergySettings
from facility.core.db import utcnow
from facility.energy import service
from facility.energy.kinds import EnergyKind, Mode, energy_kind
from facility.energy.windows import Segment
from facility.rooms.models import Building, Room
from facility.sensors.models import Device
from facility.sensors.parsing import Reading
from facility.sensors.store import ReadingStore

DAYS = 30
HOUR = timedelta(hours=1)
COP = 3.0
MODELLED = frozenset({EnergyKind.hall, EnergyKind.lecture, EnergyKind.studio})
# Rooms a store write: a few transactions rather than one a room.
ROOMS_PER_WRITE = 40
SETPOINT = {Mode.comfort: 22.0, Mode.pre_comfort: 20.0, Mode.economy: 18.0, Mode.protection: 12.0}


@dataclass(frozen=True)
class RoomModel:
    """A room's heat loss (kW/K), thermal mass (kWh/K) and heater size (kW of heat)."""

    ua: float
    mass: float
    peak: float

    @classmethod
    def of(cls, room: Room) -> RoomModel:
        size = max(0.5, (room.capacity or 20) / 30)
        return cls(ua=0.12 * size, mass=1.5 * size, peak=8.0 * size)


def outdoor(at: datetime) -> float:
    """December in Seoul: about -1 degC, coldest at 05:00, 4 degrees warmer at 17:00."""
    local = at.astimezone(ZoneInfo("Asia/Seoul"))
    return -1.0 - 4.0 * math.cos((local.hour + local.minute / 60 - 5) / 24 * 2 * math.pi)


def simulate(model: RoomModel, outside: list[float], setpoints: list[float]) -> list[float]:
    """Electric kWh per hour: the heat that holds (or brings) the room at each hour's setpoint,
    given each hour's outdoor temperature."""
    inside, used = 16.0, []
    for out, wanted in zip(outside, setpoints, strict=True):
        loss = model.ua * (inside - out)
        heat = min(model.peak, max(0.0, loss + model.mass * (wanted - inside)))
        inside += (heat - loss) / model.mass
        used.append(heat / COP)
    return used


def driven_setpoints(segments: list[Segment], hours: list[datetime]) -> list[float]:
    """Each hour's setpoint from the mode its middle falls in (segments and hours in time order)."""
    found, index = [], 0
    for hour in hours:
        middle = hour + HOUR / 2
        while index < len(segments) and segments[index].end <= middle:
            index += 1
        inside = index < len(segments) and segments[index].start <= middle
        found.append(SETPOINT[segments[index].mode if inside else Mode.protection])
    return found


def fixed_setpoints(hours: list[datetime], zone: ZoneInfo, bounds: EnergySettings) -> list[float]:
    """The schedule the building ran before: comfort in the fixed hours every day, else protection."""
    found = []
    for hour in hours:
        local = (hour + HOUR / 2).astimezone(zone).hour
        on = bounds.baseline_start_hour <= local < bounds.baseline_end_hour
        found.append(SETPOINT[Mode.comfort] if on else SETPOINT[Mode.protection])
    return found


@dataclass
class ModelTotals:
    rooms: int = 0
    points: int = 0
    driven_kwh: float = 0.0
    fixed_kwh: float = 0.0


def metered_rooms(session: Session) -> list[Room]:
    """The rooms the model heats: taught rooms, halls and studios, which bookings drive (always-on
    rooms never claim a saving; the demo's dormitory rooms are hardly ever booked)."""
    return [r for r in service.controlled_rooms(session) if energy_kind(r.kind) in MODELLED]


def place_demo_meters(session: Session) -> dict[int, Device]:
    """A placed `em-<room>` meter in each modelled room; idempotent (committed before the store
    writes, which the SQL store does in a transaction of its own)."""
    rooms = metered_rooms(session)
    buildings = {b.id: b.code for b in session.exec(select(Building))}
    known = {d.code: d for d in session.exec(select(Device).where(col(Device.code).startswith("em-")))}
    meters = {}
    for room in rooms:
        code = f"em-{room.code}"
        device = known.get(code) or Device(code=code, reported_building=buildings.get(room.building_id, ""))
        device.reported_room, device.room_id, device.metrics = room.code, room.id, "energy"
        device.label, device.online = device.label or code, False
        device.placed_at = device.placed_at or utcnow()
        session.add(device)
        meters[room.id or 0] = device
    session.flush()
    return meters


def load_energy_history(
    session: Session, store: ReadingStore, zone: ZoneInfo, bounds: EnergySettings, now: datetime | None = None
) -> ModelTotals:
    """Write the month for the placed meters unless the store already has it; the totals of
    both schedules (zero when nothing was written)."""
    now = now or utcnow()
    end = now.astimezone(zone).replace(minute=0, second=0, microsecond=0)
    first_day = end.date() - timedelta(days=DAYS)
    start = datetime.combine(first_day, time(), tzinfo=zone)
    rooms = metered_rooms(session)
    totals = ModelTotals()
    codes = {f"em-{r.code}": r for r in rooms}
    meters = {d.room_id or 0: d for d in session.exec(select(Device).where(col(Device.code).in_(list(codes))))}
    rooms = [r for r in rooms if r.id in meters]
    if not rooms:
        return totals
    probe = meters[rooms[0].id or 0].code
    if store.series([probe], "energy", start.astimezone(UTC), (start + HOUR).astimezone(UTC), None):
        return totals
    hours = [(start + HOUR * i).astimezone(UTC) for i in range(int((end - start) / HOUR) + 1)]
    segments: dict[int, list[Segment]] = {r.id or 0: [] for r in rooms}
    day = first_day
    while day <= end.date():
        for room_day in service.room_days(session, rooms, day, zone, bounds):
            segments[room_day.room.id or 0].extend(room_day.segments)
        day += timedelta(days=1)
    outside = [outdoor(hour + HOUR / 2) for hour in hours]
    fixed = fixed_setpoints(hours, zone, bounds)
    pending: list[Reading] = []
    for room in rooms:
        own = sorted(segments[room.id or 0], key=lambda s: s.start)
        model = RoomModel.of(room)
        used = simulate(model, outside, driven_setpoints(own, hours))
        totals.driven_kwh += sum(used[:-1])
        totals.fixed_kwh += sum(simulate(model, outside, fixed)[:-1])
        meter = meters[room.id or 0]
        counter = 1000.0
        for hour, kwh in zip(hours, [0.0, *used[:-1]], strict=True):
            counter += kwh
            pending.append(Reading(meter.code, meter.reported_building, room.code, "energy", round(counter, 3), hour))
        totals.rooms += 1
        if totals.rooms % ROOMS_PER_WRITE == 0:
            store.write_history(pending)
            totals.points, pending = totals.points + len(pending), []
    store.write_history(pending)
    totals.points += len(pending)
    return totals
