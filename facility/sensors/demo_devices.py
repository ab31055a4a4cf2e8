"""The demo campus's sensors: which devices sit in which rooms and what each measures."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from facility.core.db import utcnow
from facility.rooms.models import Building, Room
from facility.sensors.models import Device

ENV = ("temperature", "humidity", "co2", "pm25", "pm10", "illuminance", "noise", "occupancy", "people_count")
NO_ENV = frozenset({"outdoor", "parking", "plant_room"})
EXTRA: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "pool": (("pool", ("ph", "free_chlorine", "water_temperature")),),
    "server_room": (("rack", ("temperature", "humidity", "ups_load", "power", "water_leak")),),
    "plant_room": (("ahu", ("equipment_status", "power", "energy", "water_leak")),),
    "kitchen": (("leak", ("water_leak",)),),
    "studio": (("studio", ("equipment_status", "power")),),
}
# Devices the simulator publishes for that nobody has placed yet: they show as unassigned.
UNPLACED = (("edu", "E-101", "env-new-01"), ("dorm", "D-GYM", "env-new-02"))


@dataclass(frozen=True)
class DemoDevice:
    code: str
    building: str
    room_code: str
    room_id: int | None
    room_kind: str
    capacity: int
    metrics: tuple[str, ...]


def demo_devices(session: Session) -> list[DemoDevice]:
    """Every sensor of the demo campus, derived from its rooms (parts of a divided hall share the whole's)."""
    rows = session.exec(
        select(Room, Building.code)
        .join(Building, col(Building.id) == Room.building_id)
        .where(col(Room.parent_id).is_(None))
        .order_by(Room.code)
    )
    devices = []
    for room, building in rows:
        if room.kind not in NO_ENV:
            env = ENV if room.kind != "dorm_room" else ENV[:3]
            devices.append(DemoDevice(f"env-{room.code}", building, room.code, room.id, room.kind, room.capacity, env))
        for prefix, extra in EXTRA.get(room.kind, ()):
            devices.append(
                DemoDevice(f"{prefix}-{room.code}", building, room.code, room.id, room.kind, room.capacity, extra)
            )
    for building, room_code, code in UNPLACED:
        devices.append(DemoDevice(code, building, room_code, None, "lobby", 0, ENV[:3]))
    return devices


def place_demo_devices(session: Session) -> int:
    """Register the demo's installed devices in their rooms (idempotent); returns how many."""
    known = {d.code: d for d in session.exec(select(Device))}
    placed = 0
    for spec in demo_devices(session):
        if spec.room_id is None:
            continue
        device = known.get(spec.code)
        if device is None:
            device = Device(
                code=spec.code,
                reported_building=spec.building,
                reported_room=spec.room_code,
                online=False,
                placed_at=utcnow(),
            )
        device.room_id = spec.room_id
        device.label = device.label or spec.code
        session.add(device)
        placed += 1
    session.flush()
    return placed
