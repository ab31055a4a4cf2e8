"""Free slots of many rooms computed here (SQLite, or PostgreSQL before 14), each room's answer kept
while its claims stay the same (booking/kept_slots.py): the claims read for the search are part of
the key themselves, so a kept answer is exact."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from facility.booking import kept_slots
from facility.booking.availability import BUFFER_MARGIN, SLOT, SlotRoom, claims_in_window, free_epoch_slots


def free_slots_json(
    session: Session,
    rooms: Sequence[SlotRoom],
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    *,
    min_length: timedelta = SLOT,
) -> dict[int, str]:
    """Per room with any, its slots as the JSON text of the items of a list of {"start", "end"} in
    local ISO time (as free_slots_sql.free_slots_json writes them)."""
    shortest = int(min_length.total_seconds())
    found = kept_slots.search(session, rooms, start, end, zone, shortest)
    spaces = sorted({space for inputs in found.rooms for space in inputs.leaves})
    busy = claims_in_window(session, spaces, start - BUFFER_MARGIN, end + BUFFER_MARGIN)
    result: dict[int, str] = {}
    missing: dict[int, kept_slots.Key] = {}
    for inputs in found.rooms:
        key = (*inputs.key(zone, shortest), *(tuple(busy.get(space, ())) for space in inputs.leaves))
        slots = kept_slots.kept(key)
        if slots is None:
            missing[inputs.room.id] = key  # type: ignore[index]
        elif slots:
            result[inputs.room.id] = slots  # type: ignore[index]
    if missing:
        wanted = [inputs.room for inputs in found.rooms if inputs.room.id in missing]
        computed = as_json(
            free_epoch_slots(session, wanted, start, end, zone, min_length=min_length, campus=found.campus, busy=busy),
            zone,
        )
        for room_id, key in missing.items():
            slots = computed.get(room_id, "")
            kept_slots.keep(key, slots)
            if slots:
                result[room_id] = slots
    return result


def as_json(free: dict[int, list[tuple[int, int]]], zone: ZoneInfo) -> dict[int, str]:
    """Each room's slots (epoch seconds) as free_slots_sql.free_slots_json writes them."""
    # Many rooms share slot boundaries (opening times): format each instant once.
    iso: dict[int, str] = {}

    def local_iso(seconds: int) -> str:
        text = iso.get(seconds)
        if text is None:
            text = iso[seconds] = datetime.fromtimestamp(seconds, zone).isoformat()
        return text

    return {
        room_id: json.dumps([{"start": local_iso(lo), "end": local_iso(hi)} for lo, hi in slots], ensure_ascii=False)[
            1:-1
        ]
        for room_id, slots in free.items()
        if slots
    }
