"""The week grid of one room (renters) and the day grid of a building (managers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from facility.booking import availability, rules
from facility.booking.models import ACTIVE_STATUSES, Block, Booking
from facility.booking.rules import SLOT_MINUTES
from facility.core.db import utcnow
from facility.rooms.models import Room
from facility.rooms.plan import CampusPlan

GRID_FROM, GRID_TO = time(7, 0), time(22, 0)
STEP = timedelta(minutes=SLOT_MINUTES)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def slot_times() -> list[time]:
    times, current = [], datetime.combine(date(2000, 1, 3), GRID_FROM)
    while current.time() < GRID_TO:
        times.append(current.time())
        current += STEP
    return times


@dataclass
class WeekGrid:
    days: list[date]
    times: list[time]
    # cells[time index][day index]: "free", "busy", "closed" or "past"
    cells: list[list[str]]


def week_grid(session: Session, room: Room, monday: date, zone: ZoneInfo) -> WeekGrid:
    """Which half-hours of the week a booking of this room could cover."""
    days = [monday + timedelta(days=i) for i in range(7)]
    start = datetime.combine(monday, time(0), tzinfo=zone).astimezone(UTC)
    end = start + timedelta(days=7)
    free = availability.free_slots_many(session, [room], start, end, zone)[room.id]  # type: ignore[index]
    campus = CampusPlan.load(session)
    closed_days = rules.closed_days(session, monday, days[-1])
    now = utcnow()
    times = slot_times()
    cells: list[list[str]] = []
    for slot_time in times:
        row = []
        for day in days:
            moment = datetime.combine(day, slot_time, tzinfo=zone).astimezone(UTC)
            hours = campus.hours(room, day.weekday())
            if day in closed_days or hours is None or not (hours[0] <= slot_time < hours[1]):
                row.append("closed")
            elif moment < now:
                row.append("past")
            elif availability.fits(free, moment, moment + STEP):
                row.append("free")
            else:
                row.append("busy")
        cells.append(row)
    return WeekGrid(days, times, cells)


@dataclass
class Occupant:
    kind: str  # "booking" or "block"
    id: int
    label: str
    status: str
    starts_at: datetime
    ends_at: datetime
    displaced: bool = False
    organization_id: int | None = None


@dataclass(frozen=True)
class Span:
    """A run of neighbouring half-hours with the same occupants: one labelled bar, or one free cell."""

    first: int  # index into the day's slot times
    length: int
    occupants: list[Occupant]


@dataclass
class GridRow:
    room: Room
    cells: list[list[Occupant]] = field(default_factory=list)
    conflicts: int = 0
    conflicting: set[int] = field(default_factory=set)

    def spans(self) -> list[Span]:
        """Occupied half-hours merged into bars (so each carries its label once); free ones apart,
        since each is a place a click can put a block."""
        spans: list[Span] = []
        for index, here in enumerate(self.cells):
            key = [(o.kind, o.id) for o in here]
            last = spans[-1] if spans else None
            if here and last and [(o.kind, o.id) for o in last.occupants] == key:
                spans[-1] = Span(last.first, last.length + 1, last.occupants)
            else:
                spans.append(Span(index, 1, here))
        return spans


def day_grid(session: Session, rooms: list[Room], day: date, zone: ZoneInfo) -> tuple[list[time], list[GridRow]]:
    """Every booking and block of the rooms on a local day, per half-hour; a cell with two or more
    occupants (a displaced request under a block) is a conflict to resolve."""
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = start + timedelta(days=1)
    ids = [r.id for r in rooms]
    related: dict[int, set[int]] = {}
    campus = CampusPlan.load(session)
    for room in rooms:
        # A booking of the whole hall or of a part shows on each room it occupies.
        leaves = set(campus.leaves(room.id))  # type: ignore[arg-type]
        related[room.id] = {  # type: ignore[index]
            other for other in campus.parents if set(campus.leaves(other)) & leaves
        }
    every = {rid for ids_ in related.values() for rid in ids_} | set(ids)
    bookings = session.exec(
        select(Booking).where(
            col(Booking.room_id).in_(every),
            Booking.starts_at < end,
            Booking.ends_at > start,
            col(Booking.status).in_([s.value for s in ACTIVE_STATUSES]),
        )
    ).all()
    blocks = session.exec(
        select(Block).where(
            col(Block.room_id).in_(every),
            Block.starts_at < end,
            Block.ends_at > start,
            col(Block.removed_at).is_(None),
        )
    ).all()
    occupants: list[tuple[int, Occupant]] = [
        (
            b.room_id,
            Occupant(
                "booking",
                b.id or 0,
                b.title,
                b.status,
                b.starts_at,
                b.ends_at,
                b.displaced_by_block_id is not None,
                b.organization_id,
            ),
        )
        for b in bookings
    ] + [(k.room_id, Occupant("block", k.id or 0, k.reason, k.kind, k.starts_at, k.ends_at)) for k in blocks]
    times = slot_times()
    rows = []
    for room in rooms:
        row = GridRow(room)
        mine = [o for rid, o in occupants if rid in related[room.id]]  # type: ignore[index]
        for slot_time in times:
            lo = datetime.combine(day, slot_time, tzinfo=zone).astimezone(UTC)
            hi = lo + STEP
            here = [o for o in mine if o.starts_at < hi and o.ends_at > lo]
            if len(here) > 1 and any(o.kind == "booking" for o in here):
                row.conflicts += 1
                row.conflicting.update(o.id for o in here if o.kind == "booking")
            row.cells.append(here)
        rows.append(row)
    return times, rows


@dataclass
class BuildingWeekRow:
    room: Room
    # Free bookable hours per day of the week (0 when closed or full).
    free_hours: list[float]
    # Whether the room opens at all that day (not a holiday, closure or closed weekday).
    open_days: list[bool]


def building_week(
    session: Session, rooms: list[Room], monday: date, zone: ZoneInfo
) -> tuple[list[date], list[BuildingWeekRow]]:
    """For each room of a building, how many bookable hours each day of the week has left."""
    days = [monday + timedelta(days=i) for i in range(7)]
    start = datetime.combine(monday, time(0), tzinfo=zone).astimezone(UTC)
    free = availability.free_epoch_slots(session, rooms, start, start + timedelta(days=7), zone)
    day_starts = [int(datetime.combine(d, time(0), tzinfo=zone).timestamp()) for d in days]
    campus = CampusPlan.load(session)
    closed = rules.closed_days(session, days[0], days[-1])
    rows = []
    for room in rooms:
        hours = [0.0] * 7
        for lo, hi in free[room.id]:  # type: ignore[index]
            for i, day_start in enumerate(day_starts):
                overlap = min(hi, day_start + 86_400) - max(lo, day_start)
                if overlap > 0:
                    hours[i] += overlap / 3600
        opens = [d not in closed and campus.hours(room, d.weekday()) is not None for d in days]
        rows.append(BuildingWeekRow(room, hours, opens))
    return days, rows
