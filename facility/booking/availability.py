"""Free slots: opening hours minus holidays, closures and every active claim (with buffers).

Built for many rooms at once: the room tree and opening hours come from the committed read model
(rooms/plan.py), the claims in the window from one query, then slots are computed in memory.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Integer, cast, func, or_
from sqlmodel import Session, col, select

from facility.booking.claims import overlapping
from facility.booking.models import SpaceClaim
from facility.booking.rules import SLOT_MINUTES, closed_days, rules_for
from facility.core.db import read_planned_for_values
from facility.rooms.kinds import RoomStatus
from facility.rooms.models import Room, closing_moment
from facility.rooms.plan import CampusPlan, PlacedRoom

Interval = tuple[datetime, datetime]
T = TypeVar("T", int, datetime)
SLOT = timedelta(minutes=SLOT_MINUTES)
# Buffers reach outside a window: claim reads are widened by more than the longest buffer.
BUFFER_MARGIN = timedelta(hours=2)


class SlotRoom(PlacedRoom, Protocol):
    """What slots need of a room: a Room, or a plain row of its columns (rooms.service.RoomRow)."""

    @property
    def kind(self) -> str: ...

    @property
    def status(self) -> str: ...


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def subtract(free: list[tuple[T, T]], busy: Sequence[tuple[T, T]]) -> list[tuple[T, T]]:
    """The parts of `free` not covered by any busy interval (half-open; works on any ordered
    values). Both lists are swept once after sorting."""
    busy_sorted = sorted(busy)
    result: list[tuple[T, T]] = []
    i = 0
    for start, end in sorted(free):
        cursor = start
        # Skip busy intervals that end before this free one starts.
        while i < len(busy_sorted) and busy_sorted[i][1] <= cursor:
            i += 1
        j = i
        while j < len(busy_sorted) and busy_sorted[j][0] < end:
            b_start, b_end = busy_sorted[j]
            if b_start > cursor:
                result.append((cursor, b_start))
            cursor = max(cursor, b_end)
            if cursor >= end:
                break
            j += 1
        if cursor < end:
            result.append((cursor, end))
    return result


def open_intervals(
    campus: CampusPlan,
    room: SlotRoom,
    start: int,
    end: int,
    zone: ZoneInfo,
    closed: dict[date, str],
    cache: dict[tuple[date, time, time], tuple[int, int]] | None = None,
) -> list[tuple[int, int]]:
    """The room's opening hours within [start, end) (epoch seconds), skipping closed days."""
    cache = {} if cache is None else cache
    intervals: list[tuple[int, int]] = []
    day = _moment(start).astimezone(zone).date()
    last = _moment(end).astimezone(zone).date()
    while day <= last:
        hours = campus.hours(room, day.weekday())
        if hours is not None and day not in closed:
            key = (day, hours[0], hours[1])
            bounds = cache.get(key)
            if bounds is None:
                bounds = cache[key] = (
                    _epoch(datetime.combine(day, hours[0], tzinfo=zone)),
                    _epoch(closing_moment(day, hours[1], zone)),
                )
            lo, hi = max(bounds[0], start), min(bounds[1], end)
            if lo < hi:
                intervals.append((lo, hi))
        day += timedelta(days=1)
    return intervals


def _epoch_column(column: Any, dialect: str) -> Any:
    """Seconds since the epoch, computed by the database (no datetime objects per row)."""
    if dialect == "postgresql":
        return cast(func.extract("epoch", column), BigInteger)
    if sqlite3.sqlite_version_info >= (3, 38):
        return func.unixepoch(column)  # a third of strftime's cost over a week of a large campus
    return cast(func.strftime("%s", column), Integer)


def claims_in_window(
    session: Session,
    space_ids: Sequence[int],
    start: datetime,
    end: datetime,
    *,
    exclude_booking_id: int | None = None,
    windows: Sequence[tuple[datetime, datetime]] | None = None,
) -> dict[int, list[tuple[int, int]]]:
    """Active claims per space overlapping the window (or any of `windows`), as epoch seconds.

    The database groups them per space (one row per space, not per claim): with a thousand
    rooms a week holds tens of thousands of claims, and rows cost more than array elements.
    """
    busy: dict[int, list[tuple[int, int]]] = defaultdict(list)
    if not space_ids:
        return busy
    dialect = session.get_bind().dialect.name
    starts = _epoch_column(SpaceClaim.starts_at, dialect)
    ends = _epoch_column(SpaceClaim.ends_at, dialect)
    columns: list[Any]
    if dialect == "postgresql":
        columns = [func.array_agg(starts), func.array_agg(ends)]
    else:
        columns = [func.group_concat(starts), func.group_concat(ends)]
    # Past a few hundred spaces a filter costs more than it saves: read all and keep the wanted.
    filtered = space_ids if len(space_ids) < 500 else None
    # Grouped by `space_id + 0`, not the bare column: SQLite would otherwise walk the whole space
    # index for its order instead of reading the window through the period indexes.
    space = col(SpaceClaim.space_id) + 0
    query = (
        select(space, *columns)
        .where(or_(*[overlapping(lo, hi, filtered) for lo, hi in (windows or [(start, end)])]))
        .group_by(space)
    )
    if exclude_booking_id is not None:
        query = query.where((col(SpaceClaim.booking_id).is_(None)) | (col(SpaceClaim.booking_id) != exclude_booking_id))
    wanted = set(space_ids)
    rows: list[Any] = read_planned_for_values(session.connection(), query)
    for space_id, claim_starts, claim_ends in rows:
        if space_id not in wanted:
            continue
        if isinstance(claim_starts, str):  # SQLite: comma-separated, in the same order
            claim_starts, claim_ends = map(int, claim_starts.split(",")), map(int, claim_ends.split(","))
        busy[space_id] = list(zip(claim_starts, claim_ends, strict=True))
    return busy


def _blocked(room: SlotRoom, spaces: Sequence[int], busy: dict[int, list[tuple[int, int]]]) -> list[tuple[int, int]]:
    """Where this room's bookings may not reach: a claim [s, e) on any of its spaces keeps them
    from starting before e + buffer_before and from ending after s - buffer_after."""
    rules = rules_for(room.kind)
    before, after = int(rules.buffer_before.total_seconds()), int(rules.buffer_after.total_seconds())
    return [(start - after, end + before) for space in spaces for start, end in busy.get(space, ())]


def free_slots_many(
    session: Session,
    rooms: Sequence[Room],
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    *,
    min_length: timedelta = SLOT,
    respect_holidays: bool = True,
    campus: CampusPlan | None = None,
    busy: dict[int, list[tuple[int, int]]] | None = None,
) -> dict[int, list[Interval]]:
    """Per room, the free intervals (on the slot grid) where a booking of it could start and end."""
    found = free_epoch_slots(
        session,
        rooms,
        start,
        end,
        zone,
        min_length=min_length,
        respect_holidays=respect_holidays,
        campus=campus,
        busy=busy,
    )
    return {room_id: [(_moment(lo), _moment(hi)) for lo, hi in slots] for room_id, slots in found.items()}


def free_epoch_slots(
    session: Session,
    rooms: Sequence[SlotRoom],
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    *,
    min_length: timedelta = SLOT,
    respect_holidays: bool = True,
    campus: CampusPlan | None = None,
    busy: dict[int, list[tuple[int, int]]] | None = None,
) -> dict[int, list[tuple[int, int]]]:
    """free_slots_many in epoch seconds: a week of 200 rooms with thousands of claims stays fast.

    `busy` is the rooms' claims when the caller has read them already (`claims_in_window` over at
    least this window widened by BUFFER_MARGIN)."""
    campus = campus or CampusPlan.load(session)
    leaves = {room.id: campus.leaves(room.id) for room in rooms}  # type: ignore[arg-type]
    if busy is None:
        spaces = sorted({s for ls in leaves.values() for s in ls})
        busy = claims_in_window(session, spaces, start - BUFFER_MARGIN, end + BUFFER_MARGIN)
    closed = (
        closed_days(session, start.astimezone(zone).date(), end.astimezone(zone).date()) if respect_holidays else {}
    )
    window_start, window_end = _epoch(start), _epoch(end)
    step, shortest = int(SLOT.total_seconds()), int(min_length.total_seconds())
    cache: dict[tuple[date, time, time], tuple[int, int]] = {}
    opening_by_source: dict[tuple[str, int], list[tuple[int, int]]] = {}
    result: dict[int, list[tuple[int, int]]] = {}
    for room in rooms:
        if room.status != RoomStatus.open.value:
            result[room.id] = []  # type: ignore[index]
            continue
        blocked = _blocked(room, leaves[room.id], busy)  # type: ignore[index]
        source = campus.hours_source(room)
        opening = opening_by_source.get(source)
        if opening is None:
            opening = opening_by_source[source] = open_intervals(
                campus, room, window_start, window_end, zone, closed, cache
            )
        slots = []
        for lo, hi in subtract(opening, blocked) if blocked else opening:
            lo, hi = -(-lo // step) * step, (hi // step) * step
            if hi - lo >= shortest:
                slots.append((lo, hi))
        result[room.id] = slots  # type: ignore[index]
    return result


def occurrences_free(
    session: Session,
    rooms: Sequence[Room],
    occurrences: Sequence[tuple[datetime, datetime]],
    zone: ZoneInfo,
) -> dict[int, list[bool]]:
    """Per room, whether each occurrence of a recurring slot could be booked (one claim read)."""
    campus = CampusPlan.load(session)
    leaves = {room.id: campus.leaves(room.id) for room in rooms}  # type: ignore[arg-type]
    busy = claims_in_window(
        session,
        sorted({s for ls in leaves.values() for s in ls}),
        occurrences[0][0],
        occurrences[-1][1],
        windows=[(lo - BUFFER_MARGIN, hi + BUFFER_MARGIN) for lo, hi in occurrences],
    )
    closed = closed_days(
        session,
        occurrences[0][0].astimezone(zone).date(),
        occurrences[-1][1].astimezone(zone).date(),
    )
    wanted = [(_epoch(lo), _epoch(hi)) for lo, hi in occurrences]
    cache: dict[tuple[date, time, time], tuple[int, int]] = {}
    result: dict[int, list[bool]] = {}
    for room in rooms:
        if room.status != RoomStatus.open.value:
            result[room.id] = [False] * len(wanted)  # type: ignore[index]
            continue
        blocked = _blocked(room, leaves[room.id], busy)  # type: ignore[index]
        result[room.id] = [  # type: ignore[index]
            open_intervals(campus, room, lo, hi, zone, closed, cache) == [(lo, hi)]
            and not any(b_lo < hi and b_hi > lo for b_lo, b_hi in blocked)
            for lo, hi in wanted
        ]
    return result


def fits(slots: Sequence[Interval], start: datetime, end: datetime) -> bool:
    return any(lo <= start and end <= hi for lo, hi in slots)
