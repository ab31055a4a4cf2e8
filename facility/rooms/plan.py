"""The room tree and weekly opening hours, one immutable snapshot from the committed read model
(core/memo.py): which indivisible spaces a booking of a room occupies, and when a room is open.
Rooms and booking both ask here, so both follow one rule."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from types import MappingProxyType
from typing import Protocol

from sqlmodel import Session, select

from facility.core import memo
from facility.rooms.models import OpeningHours, Room

# Used when neither the building nor the room has weekly hours on record.
DEFAULT_HOURS = (time(7, 0), time(22, 0))
WeeklyHours = Mapping[int, tuple[time | None, time | None]]


class PlacedRoom(Protocol):
    """What the plan needs of a room: a Room, or a plain row of its columns (service.RoomRow)."""

    @property
    def id(self) -> int | None: ...

    @property
    def building_id(self) -> int: ...


@dataclass(frozen=True)
class CampusPlan:
    """Rooms' parts and the weekly hours of rooms and buildings, as last committed."""

    parents: Mapping[int, int | None]
    children: Mapping[int, tuple[int, ...]]
    room_hours: Mapping[int, WeeklyHours]
    building_hours: Mapping[int, WeeklyHours]

    @classmethod
    def load(cls, session: Session) -> CampusPlan:
        """The plan as committed at this transaction's read-model version (shared, immutable)."""
        return memo.remembered(session, "rooms.plan", ("room", "opening_hours"), cls.read)

    @classmethod
    def read(cls, session: Session) -> CampusPlan:
        parents: dict[int, int | None] = {}
        children: dict[int, list[int]] = defaultdict(list)
        for room_id, parent_id in session.exec(select(Room.id, Room.parent_id)):
            parents[room_id] = parent_id  # type: ignore[index]
            if parent_id is not None:
                children[parent_id].append(room_id)  # type: ignore[arg-type]
        hours: dict[tuple[str, int], dict[int, tuple[time | None, time | None]]] = defaultdict(dict)
        for row in session.exec(select(OpeningHours)):
            key = ("room", row.room_id) if row.room_id else ("building", row.building_id)
            hours[key][row.weekday] = (row.opens, row.closes)  # type: ignore[index]

        def of(kind: str) -> Mapping[int, WeeklyHours]:
            return MappingProxyType({i: MappingProxyType(table) for (k, i), table in hours.items() if k == kind})

        return cls(
            MappingProxyType(parents),
            MappingProxyType({p: tuple(c) for p, c in children.items()}),
            of("room"),
            of("building"),
        )

    def leaves(self, room_id: int) -> list[int]:
        """The indivisible spaces a booking of this room occupies: its leaf parts, or itself,
        sorted. Booking a whole hall claims both halves; booking one half collides with the whole."""
        found, stack = [], [room_id]
        while stack:
            current = stack.pop()
            parts = self.children.get(current)
            if parts:
                stack.extend(parts)
            else:
                found.append(current)
        return sorted(found)

    def hours_source(self, room: PlacedRoom) -> tuple[str, int]:
        """Whose weekly hours apply: the room's own, its building's, or the default."""
        if self.room_hours.get(room.id):  # type: ignore[arg-type]
            return ("room", room.id)  # type: ignore[return-value]
        if self.building_hours.get(room.building_id):
            return ("building", room.building_id)
        return ("default", 0)

    def hours(self, room: PlacedRoom, weekday: int) -> tuple[time, time] | None:
        """Local opening and closing time on a weekday; None when closed that day. A room's own
        hours override its building's; with neither on record, DEFAULT_HOURS apply."""
        for table in (self.room_hours.get(room.id), self.building_hours.get(room.building_id)):  # type: ignore[arg-type]
            if table:
                opens, closes = table.get(weekday, (None, None))
                return (opens, closes) if opens is not None and closes is not None else None
        return DEFAULT_HOURS
