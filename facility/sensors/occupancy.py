"""Measured occupancy: how much of a window a room was in use, from its occupancy sensors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from facility.core.auth import ensure_role
from facility.core.models import STAFF_ROLES, User
from facility.rooms import service as rooms_service
from facility.sensors.service import guard_store, room_device_codes
from facility.sensors.store import ReadingStore

# Occupancy is averaged per this window before counting a slot as used.
SLOT = timedelta(minutes=15)


@dataclass(frozen=True)
class Utilisation:
    room_id: int
    start: datetime
    end: datetime
    slots_measured: int
    slots_occupied: int
    peak_people: int | None

    @property
    def occupied_share(self) -> float | None:
        return self.slots_occupied / self.slots_measured if self.slots_measured else None


def measured_utilisation(
    session: Session,
    store: ReadingStore,
    viewer: User | None,
    room_id: int,
    start: datetime,
    end: datetime,
) -> Utilisation:
    """Share of 15-minute slots with anyone present (slots without readings are not counted)."""
    ensure_role(viewer, *STAFF_ROLES)
    rooms_service.get_room(session, room_id, viewer)
    codes = room_device_codes(session, room_id)
    slots = guard_store(lambda: store.series(codes, "occupancy", start, end, SLOT))
    people = guard_store(lambda: store.series(codes, "people_count", start, end, SLOT))
    return Utilisation(
        room_id=room_id,
        start=start,
        end=end,
        slots_measured=len(slots),
        slots_occupied=sum(1 for p in slots if p.value >= 0.5),
        peak_people=round(max(p.value for p in people)) if people else None,
    )
