"""Free slots: opening hours minus holidays, closures and every active claim (with buffers).

Built for many rooms at once: the room tree, opening hours and claims in the window are each read
with one query, then slots are computed in memory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from facility.booking.models import SpaceClaim
from facility.booking.rules import SLOT_MINUTES, closed_days, rules_for
from facility.rooms.kinds import RoomStatus
from facility.rooms.models import OpeningHours, Room
from facility.rooms.service import DEFAULT_HOURS

Interval = tuple[datetime, datetime]
SLOT = timedelta(minutes=SLOT_MINUTES)


@dataclass
class Campus:
    """The room tree and weekly hours, read once for a search."""

    parents: dict[int, int | None]
    children: dict[int, list[int]]
    room_hours: dict[int, dict[int, tuple[time | None, time | None]]]
    building_hours: dict[int, dict[int, tuple[time | None, time | None]]]

    @classmethod
    def load(cls, session: Session) -> Campus:
        parents: dict[int, int | None] = {}
        children: dict[int, list[int]] = defaultdict(list)
        for room_id, parent_id in session.exec(select(Room.id, Room.parent_id)):
            parents[room_id] = parent_id  # type: ignore[index]
            if parent_id is not None:
                children[parent_id].append(room_id)  # type: ignore[arg-type]
        room_hours: dict[int, dict[int, tuple[time | None, time | None]]] = defaultdict(dict)
        building_hours: dict[int, dict[int, tuple[time | None, time | None]]] = defaultdict(dict)
        for row in session.exec(select(OpeningHours)):
            target = room_hours[row.room_id] if row.room_id else building_hours[row.building_id]  # type: ignore[index]
            target[row.weekday] = (row.opens, row.closes)
        return cls(parents, children, room_hours, building_hours)

    def leaves(self, room_id: int) -> list[int]:
        found, stack = [], [room_id]
        while stack:
            current = stack.pop()
            if self.children.get(current):
                stack.extend(self.children[current])
            else:
                found.append(current)
        return found

    def hours(self, room: Room, weekday: int) -> tuple[time, time] | None:
        """Same rule as rooms.service.opening_hours, from memory."""
        for table in (self.room_hours.get(room.id), self.building_hours.get(room.building_id)):  # type: ignore[arg-type]
            if table:
                opens, closes = table.get(weekday, (None, None))
                return (opens, closes) if opens is not None and closes is not None else None
        return DEFAULT_HOURS


def _ceil(moment: datetime) -> datetime:
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    steps = -((epoch - moment) // SLOT)
    return epoch + steps * SLOT


def _floor(moment: datetime) -> datetime:
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    return epoch + ((moment - epoch) // SLOT) * SLOT


def subtract(free: list[Interval], busy: Sequence[Interval]) -> list[Interval]:
    """The parts of `free` not covered by any busy interval (both half-open)."""
    result = free
    for b_start, b_end in sorted(busy):
        next_result: list[Interval] = []
        for start, end in result:
            if b_end <= start or b_start >= end:
                next_result.append((start, end))
                continue
            if b_start > start:
                next_result.append((start, b_start))
            if b_end < end:
                next_result.append((b_end, end))
        result = next_result
    return result


def open_intervals(
    campus: Campus,
    room: Room,
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    closed: dict[date, str],
) -> list[Interval]:
    """The room's opening hours within [start, end), as UTC intervals, skipping closed days."""
    intervals: list[Interval] = []
    day = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    while day <= last:
        hours = campus.hours(room, day.weekday())
        if hours is not None and day not in closed:
            opens = datetime.combine(day, hours[0], tzinfo=zone).astimezone(UTC)
            closes = datetime.combine(day, hours[1], tzinfo=zone).astimezone(UTC)
            lo, hi = max(opens, start), min(closes, end)
            if lo < hi:
                intervals.append((lo, hi))
        day += timedelta(days=1)
    return intervals


def claims_in_window(
    session: Session,
    space_ids: Sequence[int],
    start: datetime,
    end: datetime,
    *,
    exclude_booking_id: int | None = None,
) -> dict[int, list[Interval]]:
    """Active claims per space overlapping the window."""
    busy: dict[int, list[Interval]] = defaultdict(list)
    if not space_ids:
        return busy
    query = select(SpaceClaim.space_id, SpaceClaim.starts_at, SpaceClaim.ends_at).where(
        col(SpaceClaim.active).is_(True),
        SpaceClaim.starts_at < end,
        SpaceClaim.ends_at > start,
    )
    if len(space_ids) < 500:
        query = query.where(col(SpaceClaim.space_id).in_(space_ids))
    if exclude_booking_id is not None:
        query = query.where(
            (col(SpaceClaim.booking_id).is_(None)) | (SpaceClaim.booking_id != exclude_booking_id)
        )
    wanted = set(space_ids)
    for space_id, claim_start, claim_end in session.exec(query):
        if space_id in wanted:
            busy[space_id].append((claim_start, claim_end))
    return busy


def free_slots_many(
    session: Session,
    rooms: Sequence[Room],
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    *,
    min_length: timedelta = SLOT,
    respect_holidays: bool = True,
    campus: Campus | None = None,
) -> dict[int, list[Interval]]:
    """Per room, the free intervals (on the slot grid) where a booking of it could start and end."""
    campus = campus or Campus.load(session)
    leaves = {room.id: campus.leaves(room.id) for room in rooms}  # type: ignore[arg-type]
    # Buffers reach outside the window: widen the claim read by the longest buffer.
    margin = timedelta(hours=2)
    busy = claims_in_window(
        session, sorted({s for ls in leaves.values() for s in ls}), start - margin, end + margin
    )
    closed = (
        closed_days(session, start.astimezone(zone).date(), end.astimezone(zone).date())
        if respect_holidays
        else {}
    )
    result: dict[int, list[Interval]] = {}
    for room in rooms:
        if room.status != RoomStatus.open.value:
            result[room.id] = []  # type: ignore[index]
            continue
        rules = rules_for(room.kind)
        blocked = [
            (claim_start - rules.buffer_after, claim_end + rules.buffer_before)
            for space in leaves[room.id]  # type: ignore[index]
            for claim_start, claim_end in busy.get(space, [])
        ]
        free = subtract(open_intervals(campus, room, start, end, zone, closed), blocked)
        slots = []
        for lo, hi in free:
            lo, hi = _ceil(lo), _floor(hi)
            if hi - lo >= min_length:
                slots.append((lo, hi))
        result[room.id] = slots  # type: ignore[index]
    return result


def fits(slots: Sequence[Interval], start: datetime, end: datetime) -> bool:
    return any(lo <= start and end <= hi for lo, hi in slots)
