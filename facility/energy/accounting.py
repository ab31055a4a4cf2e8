"""Energy accounting: kWh per room and day from the meters' counters, booked and conditioned hours,
kWh per booked hour, and the savings against the fixed schedule the building ran before.

The baseline comes from the same meters, priced over the whole reported period so that a room left
empty all day (which the fixed schedule would have heated) is credited: each room's mean kWh per
conditioned hour (comfort or pre-comfort on its timeline) and per idle hour over the period, the
conditioned rate falling back to the median of its kind's rooms when it never heated (the idle rate
likewise); every measured hour is then charged at the rate the fixed schedule would have had in it.
An always-on room, or one no rate can be found for, claims no saving (its baseline is what it used).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from facility.core.auth import ensure_role
from facility.core.config import EnergySettings
from facility.core.errors import InvalidInput
from facility.core.i18n import gettext as _
from facility.core.models import STAFF_ROLES, User
from facility.energy import service
from facility.energy.kinds import Mode
from facility.energy.models import EnergyMeter
from facility.energy.windows import DAY, Segment, local_bounds
from facility.rooms import service as rooms_service
from facility.rooms.models import Room
from facility.sensors.models import Device
from facility.sensors.store import Point, ReadingStore

HOUR = timedelta(hours=1)
CONDITIONED = frozenset({Mode.comfort, Mode.pre_comfort})
GROUPINGS = ("room", "kind", "building")
# A report reads every meter's raw points: a quarter is what a page should ask for at once.
MAX_DAYS = 92


def hourly_kwh(points: Sequence[Point]) -> dict[datetime, float]:
    """A cumulative kWh counter's use per hour (pure): each rise goes to the hour it ended in; a
    counter that fell was reset (a meter swapped or restarted) and counts from zero."""
    used: dict[datetime, float] = defaultdict(float)
    ordered = sorted(points, key=lambda p: p.ts)
    for before, after in zip(ordered, ordered[1:], strict=False):
        rise = after.value - before.value
        hour = (after.ts - timedelta(microseconds=1)).replace(minute=0, second=0, microsecond=0)
        used[hour] += rise if rise >= 0 else after.value
    return dict(used)


@dataclass
class RoomDayEnergy:
    room: Room
    kind: str
    day: date
    kwh: float
    booked_hours: float
    conditioned_hours: float
    baseline_kwh: float


def booked_hours(segments: Sequence[Segment], day: date, zone: ZoneInfo) -> float:
    """Hours of the day covered by the occupations of its comfort windows (their union)."""
    start, end = local_bounds(day, zone)
    spans = sorted(
        (max(o.start, start), min(o.end, end))
        for s in segments
        if s.window is not None
        for o in s.window.sources
        if o.end > start and o.start < end
    )
    total, cursor = 0.0, start
    for a, b in spans:
        a = max(a, cursor)
        if b > a:
            total += (b - a).total_seconds() / 3600
            cursor = b
    return total


@dataclass
class HourRates:
    """A room's measured kWh and hours, conditioned and idle, over the reported period."""

    on_kwh: float = 0.0
    on_hours: int = 0
    idle_kwh: float = 0.0
    idle_hours: int = 0

    def add(self, hourly: Mapping[datetime, float], segments: Sequence[Segment]) -> None:
        for hour, kwh in hourly.items():
            middle = hour + HOUR / 2
            segment = next((s for s in segments if s.start <= middle < s.end), None)
            if segment is not None and segment.mode in CONDITIONED:
                self.on_kwh, self.on_hours = self.on_kwh + kwh, self.on_hours + 1
            else:
                self.idle_kwh, self.idle_hours = self.idle_kwh + kwh, self.idle_hours + 1

    @property
    def on(self) -> float | None:
        return self.on_kwh / self.on_hours if self.on_hours else None

    @property
    def idle(self) -> float | None:
        return self.idle_kwh / self.idle_hours if self.idle_hours else None


def _median(values: Sequence[float]) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def room_rates(rates: Mapping[int, HourRates], kinds: Mapping[int, str]) -> dict[int, tuple[float, float] | None]:
    """Each room's (conditioned, idle) kWh per hour, a missing one taken from the median of the rooms
    of its kind that have it (pure); None when neither the room nor its kind has one."""
    on_by_kind: dict[str, list[float]] = defaultdict(list)
    idle_by_kind: dict[str, list[float]] = defaultdict(list)
    for room_id, rate in rates.items():
        if rate.on is not None:
            on_by_kind[kinds[room_id]].append(rate.on)
        if rate.idle is not None:
            idle_by_kind[kinds[room_id]].append(rate.idle)
    found: dict[int, tuple[float, float] | None] = {}
    for room_id, rate in rates.items():
        on = rate.on if rate.on is not None else _median(on_by_kind[kinds[room_id]])
        idle = rate.idle if rate.idle is not None else _median(idle_by_kind[kinds[room_id]])
        found[room_id] = None if on is None or idle is None else (on, idle)
    return found


def baseline_kwh(
    hourly: Mapping[datetime, float], rates: tuple[float, float] | None, zone: ZoneInfo, bounds: EnergySettings
) -> float:
    """What the fixed schedule would have used in these measured hours (pure): the room's period
    conditioned rate in the schedule's hours (07-22 local), its idle rate in the others."""
    if rates is None:
        return sum(hourly.values())
    on, idle = rates
    total = 0.0
    for hour in hourly:
        local_hour = hour.astimezone(zone).hour
        scheduled = bounds.baseline_start_hour <= local_hour < bounds.baseline_end_hour
        total += on if scheduled else idle
    return total


def meter_codes(session: Session, room_ids: Sequence[int]) -> dict[int, list[str]]:
    """Each room's energy meters: the mapped ones, else the devices placed in it that report energy."""
    found: dict[int, list[str]] = defaultdict(list)
    mapped = session.exec(
        select(EnergyMeter.room_id, Device.code)
        .join(Device, col(Device.id) == EnergyMeter.device_id)
        .where(service.among(col(EnergyMeter.room_id), room_ids))
    ).all()
    for room_id, code in mapped:
        found[room_id].append(code)
    mapped_rooms, mapped_codes = set(found), {code for _room, code in mapped}
    placed = session.exec(
        select(Device.room_id, Device.code, Device.metrics).where(service.among(col(Device.room_id), room_ids))
    ).all()
    for placed_in, code, metrics in placed:
        if placed_in is None or placed_in in mapped_rooms or code in mapped_codes:
            continue
        if "energy" in metrics.split(","):
            found[placed_in].append(code)
    return found


def room_day_energy(
    session: Session,
    store: ReadingStore,
    rooms: Sequence[Room],
    first: date,
    last: date,
    zone: ZoneInfo,
    bounds: EnergySettings,
) -> list[RoomDayEnergy]:
    """Every room-day of [first, last] with a meter."""
    meters = meter_codes(session, [r.id or 0 for r in rooms])
    metered = [r for r in rooms if r.id in meters]
    if not metered:
        return []
    start, _ = local_bounds(first, zone)
    _, end = local_bounds(last, zone)
    hourly: dict[int, dict[date, dict[datetime, float]]] = {}
    for room in metered:
        per_day: dict[date, dict[datetime, float]] = defaultdict(dict)
        for code in meters[room.id or 0]:
            # An hour either side: the reading that starts the first hour and the one that ends the last.
            points = store.series([code], "energy", start - HOUR, end + HOUR, None)
            for hour, kwh in hourly_kwh(points).items():
                if start <= hour < end:
                    bucket = per_day[hour.astimezone(zone).date()]
                    bucket[hour] = bucket.get(hour, 0.0) + kwh
        hourly[room.id or 0] = per_day
    rows: list[tuple[RoomDayEnergy, dict[datetime, float]]] = []
    rates: dict[int, HourRates] = {}
    kinds: dict[int, str] = {}
    always_on: set[int] = set()
    day = first
    while day <= last:
        for room_day in service.room_days(session, metered, day, zone, bounds):
            room_id = room_day.room.id or 0
            used = hourly[room_id].get(day, {})
            kinds[room_id] = room_day.kind.value
            if room_day.rules.always_on:
                always_on.add(room_id)
            rates.setdefault(room_id, HourRates()).add(used, room_day.segments)
            item = RoomDayEnergy(
                room=room_day.room,
                kind=room_day.kind.value,
                day=day,
                kwh=sum(used.values()),
                booked_hours=booked_hours(room_day.segments, day, zone),
                conditioned_hours=sum(s.hours for s in room_day.segments if s.mode in CONDITIONED),
                baseline_kwh=0.0,
            )
            rows.append((item, used))
        day += DAY
    priced = room_rates({k: v for k, v in rates.items() if k not in always_on}, kinds)
    for item, used in rows:
        item.baseline_kwh = baseline_kwh(used, priced.get(item.room.id or 0), zone, bounds)
    return [item for item, _used in rows]


@dataclass
class ReportRow:
    key: str
    label: str
    kwh: float = 0.0
    booked_hours: float = 0.0
    conditioned_hours: float = 0.0
    baseline_kwh: float = 0.0
    rooms: set[int] = field(default_factory=set)

    @property
    def kwh_per_booked_hour(self) -> float | None:
        return self.kwh / self.booked_hours if self.booked_hours else None

    @property
    def savings_kwh(self) -> float:
        return self.baseline_kwh - self.kwh

    @property
    def savings_percent(self) -> float | None:
        return 100 * self.savings_kwh / self.baseline_kwh if self.baseline_kwh else None

    def add(self, item: RoomDayEnergy) -> None:
        self.kwh += item.kwh
        self.booked_hours += item.booked_hours
        self.conditioned_hours += item.conditioned_hours
        self.baseline_kwh += item.baseline_kwh
        self.rooms.add(item.room.id or 0)


@dataclass
class Report:
    first: date
    last: date
    by: str
    rows: list[ReportRow]
    total: ReportRow
    months: list[ReportRow]
    days: list[ReportRow]


def check_range(first: date, last: date, by: str) -> None:
    if by not in GROUPINGS:
        raise InvalidInput(_("by must be one of: room, kind, building."))
    if last < first:
        raise InvalidInput(_("The end must be after the start."))
    if (last - first).days >= MAX_DAYS:
        raise InvalidInput(_("A report covers at most {days} days.", days=MAX_DAYS))


def energy_report(
    session: Session,
    store: ReadingStore,
    viewer: User | None,
    first: date,
    last: date,
    by: str,
    zone: ZoneInfo,
    bounds: EnergySettings,
) -> Report:
    """kWh, booked and conditioned hours, kWh per booked hour and savings, grouped `by` room, kind
    or building, with the totals by month and by day (for the chart)."""
    ensure_role(viewer, *STAFF_ROLES)
    check_range(first, last, by)
    rooms = service.controlled_rooms(session)
    buildings = {b.id: b for b in rooms_service.all_buildings(session)}
    items = room_day_energy(session, store, rooms, first, last, zone, bounds)
    groups: dict[str, ReportRow] = {}
    months: dict[str, ReportRow] = {}
    days: dict[str, ReportRow] = {}
    total = ReportRow("total", "")
    for item in items:
        key, label = _group(item, by, buildings)
        groups.setdefault(key, ReportRow(key, label)).add(item)
        months.setdefault(f"{item.day:%Y-%m}", ReportRow(f"{item.day:%Y-%m}", f"{item.day:%Y-%m}")).add(item)
        days.setdefault(item.day.isoformat(), ReportRow(item.day.isoformat(), f"{item.day:%m-%d}")).add(item)
        total.add(item)
    return Report(
        first, last, by, sorted(groups.values(), key=lambda r: r.key), total, list(months.values()), list(days.values())
    )


def _group(item: RoomDayEnergy, by: str, buildings: Mapping[int | None, object]) -> tuple[str, str]:
    if by == "room":
        return item.room.code, item.room.code
    if by == "kind":
        return item.kind, item.kind
    building = buildings.get(item.room.building_id)
    code = getattr(building, "code", str(item.room.building_id))
    return code, code


def report_rows(report: Report) -> list[list[str]]:
    """The report's groups and total as text cells, for the CSV download."""
    rows = []
    for row in [*report.rows, report.total]:
        per_hour, percent = row.kwh_per_booked_hour, row.savings_percent
        rows.append(
            [
                row.label or "total",
                f"{row.kwh:.1f}",
                f"{row.booked_hours:.1f}",
                f"{row.conditioned_hours:.1f}",
                "" if per_hour is None else f"{per_hour:.2f}",
                f"{row.baseline_kwh:.1f}",
                f"{row.savings_kwh:.1f}",
                "" if percent is None else f"{percent:.1f}",
            ]
        )
    return rows
