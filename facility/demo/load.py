"""Load the demo campus from campus.yaml, and the whole demo on it; running it again updates rather
than duplicates."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, delete

from facility.booking.common import local_zone
from facility.booking.demo import load_demo_bookings, load_demo_fees
from facility.booking.demo_history import load_booking_history
from facility.core import outbox
from facility.core.accounts import get_user_by_email
from facility.core.config import active_settings
from facility.core.db import session_scope, utcnow
from facility.energy.demo_history import load_energy_history, place_demo_meters
from facility.imports.rows import upsert
from facility.maintenance.demo import load_demo_assets
from facility.maintenance.demo_history import load_maintenance_history
from facility.rooms.kinds import RoomCategory, RoomStatus
from facility.rooms.models import (
    Building,
    Campus,
    Equipment,
    Floor,
    OpeningHours,
    Room,
    RoomEquipment,
    RoomLayout,
)
from facility.sensors.demo_devices import demo_devices, place_demo_devices
from facility.sensors.demo_history import load_sensor_history
from facility.sensors.store import ReadingStore

CAMPUS_FILE = Path(__file__).with_name("campus.yaml")
INVENTED_FIELDS = ("capacity", "area", "floor", "equipment")


def floor_label(level: int) -> str:
    return f"B{-level}" if level < 0 else f"{level}F"


def _upsert(session: Session, model: type[SQLModel], key: dict[str, Any], values: dict[str, Any]) -> Any:
    return upsert(session, model, key, values)[0]


def _parse_hours(spec: str | None) -> tuple[time | None, time | None]:
    if not spec:
        return None, None
    opens, closes = spec.split("-")
    return time.fromisoformat(opens), time.fromisoformat(closes)


def _expand_series(series: dict[str, Any]) -> list[dict[str, Any]]:
    rooms = []
    for floor, count in series["per_floor"].items():
        for n in range(series.get("start", 1), series.get("start", 1) + count):
            names = {key: series[key].format(floor=floor, n=n) for key in ("code", "ko", "en")}
            rooms.append({**series, **names, "floor": floor})
    return rooms


class _Loader:
    def __init__(self, session: Session, data: dict[str, Any]) -> None:
        self.session = session
        self.data = data
        self.equipment: dict[str, int] = {}
        self.counts = {"campuses": 0, "buildings": 0, "rooms": 0}

    def run(self) -> dict[str, int]:
        for item in self.data["equipment"]:
            row = _upsert(
                self.session, Equipment, {"code": item["code"]}, {"name_ko": item["ko"], "name_en": item["en"]}
            )
            self.equipment[item["code"]] = row.id
        for campus_spec in self.data["campuses"]:
            campus = _upsert(
                self.session,
                Campus,
                {"code": campus_spec["code"]},
                {"name_ko": campus_spec["ko"], "name_en": campus_spec["en"], "address": campus_spec.get("address", "")},
            )
            self.counts["campuses"] += 1
            for order, building_spec in enumerate(campus_spec["buildings"]):
                self._building(campus, order, building_spec)
        return self.counts

    def _building(self, campus: Campus, order: int, spec: dict[str, Any]) -> None:
        building = _upsert(
            self.session,
            Building,
            {"code": spec["code"]},
            {"campus_id": campus.id, "name_ko": spec["ko"], "name_en": spec["en"], "sort_order": order},
        )
        self.counts["buildings"] += 1
        floors = {
            level: _upsert(
                self.session, Floor, {"building_id": building.id, "level": level}, {"label": floor_label(level)}
            ).id
            for level in spec.get("floors", [1])
        }
        self._hours(building, spec.get("hours"))
        rooms = [room for series in spec.get("series", []) for room in _expand_series(series)]
        for room_spec in rooms + spec.get("rooms", []):
            self._room(building, floors, room_spec, parent=None)

    def _hours(self, building: Building, hours: dict[str, str | None] | None) -> None:
        if not hours:
            return
        self.session.exec(delete(OpeningHours).where(col(OpeningHours.building_id) == building.id))  # type: ignore[call-overload]
        days = {d: hours.get("weekday") for d in range(5)} | {5: hours.get("saturday"), 6: hours.get("sunday")}
        for weekday, spec in days.items():
            opens, closes = _parse_hours(spec)
            self.session.add(OpeningHours(building_id=building.id, weekday=weekday, opens=opens, closes=closes))

    def _room(self, building: Building, floors: dict[int, int], spec: dict[str, Any], parent: Room | None) -> None:
        kind = spec.get("kind") or (parent.kind if parent else "lecture_room")
        stated = set(spec.get("stated", []))
        room = _upsert(
            self.session,
            Room,
            {"code": spec["code"]},
            {
                "building_id": building.id,
                "floor_id": floors.get(spec["floor"]) if "floor" in spec else (parent.floor_id if parent else None),
                "parent_id": parent.id if parent else None,
                "name_ko": spec["ko"],
                "name_en": spec["en"],
                "kind": kind,
                "category": spec.get("category", RoomCategory.other.value),
                "capacity": spec.get("capacity", 0),
                "area_m2": spec.get("area"),
                "bookable_external": spec.get("bookable", parent.bookable_external if parent else False),
                "status": spec.get("status", RoomStatus.open.value),
                "description": spec.get("description", ""),
                "demo_values": ", ".join(f for f in INVENTED_FIELDS if f not in stated),
            },
        )
        self.counts["rooms"] += 1
        self.session.exec(delete(RoomEquipment).where(RoomEquipment.room_id == room.id))  # type: ignore[call-overload]
        self.session.exec(delete(RoomLayout).where(RoomLayout.room_id == room.id))  # type: ignore[call-overload]
        for code, quantity in (spec.get("equipment") or {}).items():
            self.session.add(RoomEquipment(room_id=room.id, equipment_id=self.equipment[code], quantity=quantity))
        for layout, factor in (self.data["layout_factors"].get(kind) or {}).items():
            self.session.add(RoomLayout(room_id=room.id, layout=layout, capacity=int(room.capacity * factor)))
        self.session.flush()
        for part in spec.get("parts", []):
            self._room(building, floors, {**part, "category": RoomCategory.other.value}, parent=room)


def load_demo_campus(session: Session, path: Path = CAMPUS_FILE) -> dict[str, int]:
    """Create or update the demo campus; returns how many campuses, buildings and rooms it holds."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return _Loader(session, data).run()


def load_whole_demo(session: Session) -> dict[str, int]:
    """Everything `facility demo` shows: campus, fees, assets and plans, sensors, and (once the
    demo accounts exist) a few bookings and a training block next week, and the past: three
    months of rentals, settled inspections and closed work (`load_demo_readings` adds the
    readings). Idempotent: each part of the past is made once, on a database without it."""
    counts = load_demo_campus(session)
    counts["fee schedules"] = load_demo_fees(session)
    counts.update(load_demo_assets(session))
    counts["devices"] = place_demo_devices(session)
    counts["bookings made"] = load_demo_bookings(session)
    manager = get_user_by_email(session, "manager@demo.facility.kr")
    crew = get_user_by_email(session, "crew@demo.facility.kr")
    counts["past bookings made"] = load_booking_history(session, manager)
    maintenance = load_maintenance_history(session, crew, manager)
    counts.update(maintenance)
    if counts["past bookings made"] or maintenance:
        # The e-mails those past days wrote went out on those days: only today's wait in the outbox.
        midnight = datetime.combine(utcnow().astimezone(local_zone()).date(), time(), tzinfo=local_zone())
        outbox.mark_sent_before(session, midnight)
    return counts


def load_demo_readings(engine: Engine, store: ReadingStore) -> int:
    """90 days of readings for the demo's sensors and a month of its rooms' meters, once the
    campus is committed (the SQL store writes in a transaction of its own); returns how many
    points were written."""
    with session_scope(engine, write=False) as session:
        devices = demo_devices(session)
    written = load_sensor_history(devices, store)
    with session_scope(engine) as session:
        place_demo_meters(session)
    with session_scope(engine, write=False) as session:
        energy = load_energy_history(session, store, local_zone(), active_settings().energy)
    return written + energy.points
