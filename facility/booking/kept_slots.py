"""Each room's free slots of a search, kept in this process under everything they are computed
from, so that the next search computes only the rooms that changed.

A campus-wide search of a week (a thousand rooms, 21,000 claims at a million bookings) spends most
of its time subtracting each room's claims from its opening hours, cutting the rest to the slot
grid and writing it as JSON; between two searches few rooms change. The key of a room's answer is
the zone, the shortest slot, the room's opening intervals in the window (hours, holidays and
closures already applied), its buffers, its leaf spaces and its claims (the claims themselves, or
on PostgreSQL a fingerprint of them: booking/free_slots_sql.py). The key is the whole input of a
pure function, so a kept answer is right for any database and any moment that gives the same
key: nothing needs invalidating, and the first input that changes (a booking, a cancellation, a
move, new hours, by any process) simply misses.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlmodel import Session

from facility.booking.availability import SlotRoom, open_intervals
from facility.booking.rules import closed_days, rules_for
from facility.rooms.kinds import RoomStatus
from facility.rooms.plan import CampusPlan

# Rooms' answers kept per process (1.3 KB each with its key, measured: at most ~26 MB): a thousand
# rooms over a few weeks and slot lengths. Past it the oldest go first.
MAX_KEPT = 20_000
MAX_WINDOWS = 1_000

Key = tuple[Any, ...]
Opening = tuple[tuple[int, int], ...]
_kept: dict[Key, str] = {}
# Windows searched lately (zone, shortest slot, start, end): only these can have answers kept.
_windows: dict[Key, bool] = {}
_lock = threading.Lock()


class RoomInputs(NamedTuple):
    """What a room's slots in a window are computed from, but its claims."""

    room: SlotRoom
    opening: Opening  # epoch seconds, within the window
    before: int  # buffers, seconds
    after: int
    leaves: list[int]

    def key(self, zone: ZoneInfo, shortest: int) -> Key:
        return (zone.key, shortest, self.opening, self.before, self.after, tuple(self.leaves))


class Search(NamedTuple):
    """The open rooms of a search with their inputs, and the opening intervals by hours source."""

    campus: CampusPlan
    openings: dict[tuple[str, int], Opening]
    rooms: list[RoomInputs]
    window: Key


def search(
    session: Session, rooms: Sequence[SlotRoom], start: datetime, end: datetime, zone: ZoneInfo, shortest: int
) -> Search:
    """The inputs of each room that is open and has opening hours in the window."""
    campus = CampusPlan.load(session)
    closed = closed_days(session, start.astimezone(zone).date(), end.astimezone(zone).date())
    window_start, window_end = int(start.timestamp()), int(end.timestamp())
    cache: dict[tuple[date, time, time], tuple[int, int]] = {}
    openings: dict[tuple[str, int], Opening] = {}
    wanted: list[RoomInputs] = []
    for room in rooms:
        if room.status != RoomStatus.open.value:
            continue
        source = campus.hours_source(room)
        opening = openings.get(source)
        if opening is None:
            opening = openings[source] = tuple(
                open_intervals(campus, room, window_start, window_end, zone, closed, cache)
            )
        if not opening:
            continue
        rules = rules_for(room.kind)
        before, after = int(rules.buffer_before.total_seconds()), int(rules.buffer_after.total_seconds())
        wanted.append(RoomInputs(room, opening, before, after, campus.leaves(room.id)))  # type: ignore[arg-type]
    return Search(campus, openings, wanted, (zone.key, shortest, window_start, window_end))


def kept(key: Key) -> str | None:
    return _kept.get(key)


def keep(key: Key, slots: str) -> None:
    _keep(_kept, key, slots, MAX_KEPT)


def seen(window: Key) -> bool:
    """Whether this window was searched lately: a window first asked has nothing kept."""
    return window in _windows


def note_seen(window: Key) -> None:
    _keep(_windows, window, True, MAX_WINDOWS)


def _keep(where: dict[Key, Any], key: Key, value: Any, limit: int) -> None:
    with _lock:
        where[key] = value
        while len(where) > limit:
            del where[next(iter(where))]


def forget_all() -> None:
    """Drop every kept answer (tests compare a cold search with a warm one)."""
    with _lock:
        _kept.clear()
        _windows.clear()
