"""Buildings and rooms, matched by code."""

from __future__ import annotations

from datetime import time

from sqlmodel import col, delete, select

from facility.core.i18n import gettext as _
from facility.imports.base import Importer, fmt_bool, fmt_hours, fmt_number, fmt_pairs, parse_pairs
from facility.imports.rows import Column, Row, codes, upsert
from facility.rooms.kinds import RoomKind, RoomStatus
from facility.rooms.models import Building, Campus, Equipment, Floor, OpeningHours, Room, RoomEquipment

HOURS_COLUMNS = {"weekday_hours": range(5), "saturday_hours": (5,), "sunday_hours": (6,)}
HOURS_HELP = "08:00-22:00, or closed; empty keeps what is there"


def floor_label(level: int) -> str:
    return f"B{-level}" if level < 0 else f"{level}F"


def parse_level(row: Row, column: str, text: str) -> int | None:
    """`B1` -> -1, `3`/`3F` -> 3; there is no floor 0."""
    value = text.strip().upper().removesuffix("F")
    try:
        level = -int(value[1:]) if value.startswith("B") else int(value)
    except ValueError:
        level = 0
    if level == 0:
        row.problem(column, _("'{value}' is not a floor (B1, 1, 2F ...).", value=text))
        return None
    return level


def _read_hours(row: Row) -> dict[int, tuple[time | None, time | None]]:
    days: dict[int, tuple[time | None, time | None]] = {}
    for column, weekdays in HOURS_COLUMNS.items():
        pair = row.hours(column)
        if pair is not None:
            days.update({d: pair for d in weekdays})
    return days


def _write_hours(importer: Importer, days: dict[int, tuple[time | None, time | None]], **owner: int | None) -> bool:
    """Replace the given weekdays' hours of a building (room_id None) or a room; says if any changed."""
    session = importer.session
    query = select(OpeningHours).where(OpeningHours.building_id == owner["building_id"])
    query = (
        query.where(OpeningHours.room_id == owner["room_id"])
        if owner["room_id"]
        else query.where(col(OpeningHours.room_id).is_(None))
    )
    existing = {h.weekday: h for h in session.exec(query)}
    changed = False
    for weekday, (opens, closes) in days.items():
        row = existing.get(weekday) or OpeningHours(weekday=weekday, **owner)  # type: ignore[arg-type]
        if row.id is None or (row.opens, row.closes) != (opens, closes):
            row.opens, row.closes = opens, closes
            session.add(row)
            changed = True
    session.flush()
    return changed


def _export_hours(hours: list[OpeningHours]) -> dict[str, str]:
    by_day = {h.weekday: (h.opens, h.closes) for h in hours}
    return {column: fmt_hours(by_day.get(days[0])) for column, days in HOURS_COLUMNS.items()}


class BuildingImporter(Importer):
    kind = "buildings"
    columns = (
        Column("code", True, "unique; rooms refer to it"),
        Column("campus", True, "campus code; a new one is created"),
        Column("name_ko", True),
        Column("name_en"),
        Column("floors", help="levels, e.g. B1;1;2;3"),
        Column("sort_order", help="whole number; order on pages"),
        *(Column(c, help=HOURS_HELP) for c in HOURS_COLUMNS),
    )

    def apply(self, row: Row) -> str:
        code = row.text("code", required=True, max_length=40)
        campus_code = row.text("campus", required=True, max_length=40)
        name_ko = row.text("name_ko", required=True)
        name_en = row.text("name_en") or name_ko
        sort_order = row.integer("sort_order")
        levels = [parse_level(row, "floors", part) for part in row.text("floors").split(";") if part.strip()]
        days = _read_hours(row)
        if not row.ok:
            return ""
        campus = self.session.exec(select(Campus).where(Campus.code == campus_code)).first()
        if campus is None:
            campus = Campus(code=campus_code, name_ko=campus_code, name_en=campus_code)
            self.session.add(campus)
            self.session.flush()
            self.notes.append(_("New campus '{code}' (rename it on the campus page).", code=campus_code))
        building, outcome = upsert(
            self.session,
            Building,
            {"code": code},
            {"campus_id": campus.id, "name_ko": name_ko, "name_en": name_en, "sort_order": sort_order},
        )
        changed = False
        have = set(self.session.exec(select(Floor.level).where(Floor.building_id == building.id)))
        for level in levels:
            if level is not None and level not in have:
                self.session.add(Floor(building_id=building.id, level=level, label=floor_label(level)))
                changed = True
        changed |= _write_hours(self, days, building_id=building.id, room_id=None)
        return "updated" if outcome == "unchanged" and changed else outcome

    def export_rows(self) -> list[dict[str, str]]:
        campuses = {c.id: c.code for c in self.session.exec(select(Campus))}
        rows = []
        for building in self.session.exec(select(Building).order_by(col(Building.sort_order), col(Building.code))):
            levels = self.session.exec(
                select(Floor.level).where(Floor.building_id == building.id).order_by(col(Floor.level))
            ).all()
            hours = self.session.exec(
                select(OpeningHours)
                .where(OpeningHours.building_id == building.id)
                .where(col(OpeningHours.room_id).is_(None))
            ).all()
            rows.append(
                {
                    "code": building.code,
                    "campus": campuses[building.campus_id],
                    "name_ko": building.name_ko,
                    "name_en": building.name_en,
                    "floors": ";".join(floor_label(level).removesuffix("F") for level in levels),
                    "sort_order": str(building.sort_order),
                    **_export_hours(list(hours)),
                }
            )
        return rows


class RoomImporter(Importer):
    kind = "rooms"
    columns = (
        Column("code", True, "unique; bookings, assets and timetables refer to it"),
        Column("building", True, "building code"),
        Column("name_ko", True),
        Column("name_en"),
        Column("kind", True, "lecture_room, seminar_room, auditorium ... (docs/import.md)"),
        Column("capacity", help="whole number of seats", maximum=100_000),
        Column("floor", help="B1, 1, 2 ... (created when new)"),
        Column("area_m2", help="number", maximum=1_000_000),
        Column("bookable", help="yes/no: rented to outside bodies"),
        Column("status", help="open (default), closed, maintenance ..."),
        Column("parent", help="code of the dividable hall this room is part of"),
        Column("equipment", help="code:quantity; code ... e.g. projector:1; wireless_mic:4"),
        Column("accessible", help="yes (default)/no"),
        Column("description"),
        *(Column(c, help=HOURS_HELP) for c in HOURS_COLUMNS),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.buildings = codes(self.session, Building)
        self.equipment = codes(self.session, Equipment)

    def apply(self, row: Row) -> str:
        code = row.text("code", required=True, max_length=40)
        building_id = row.lookup("building", self.buildings, "building", required=True)
        name_ko = row.text("name_ko", required=True)
        values = {
            "name_ko": name_ko,
            "name_en": row.text("name_en") or name_ko,
            "kind": row.choice("kind", RoomKind, required=True),
            "capacity": row.integer("capacity"),
            "area_m2": row.decimal("area_m2"),
            "bookable_external": row.boolean("bookable", default=False),
            "status": row.choice("status", RoomStatus, default=RoomStatus.open.value),
            "accessible": row.boolean("accessible", default=True),
            "description": row.text("description", max_length=2000),
        }
        floor_text = row.text("floor")
        level = parse_level(row, "floor", floor_text) if floor_text else None
        parent_code = row.text("parent")
        parent = self.session.exec(select(Room).where(Room.code == parent_code)).first() if parent_code else None
        if parent_code and parent is None:
            row.problem("parent", _("Unknown room '{value}'.", value=parent_code))
        if parent_code and parent_code == code:
            row.problem("parent", _("A room cannot be part of itself."))
        equipment = parse_pairs(row, "equipment")
        days = _read_hours(row)
        if not row.ok or building_id is None or equipment is None:
            return ""
        values["building_id"] = building_id
        values["parent_id"] = parent.id if parent else None
        values["floor_id"] = self._floor(building_id, level) if level is not None else None
        room, outcome = upsert(self.session, Room, {"code": code}, values)
        changed = self._equipment(room, equipment)
        changed |= _write_hours(self, days, building_id=None, room_id=room.id)
        return "updated" if outcome == "unchanged" and changed else outcome

    def _floor(self, building_id: int, level: int) -> int:
        floor, _outcome = upsert(
            self.session, Floor, {"building_id": building_id, "level": level}, {"label": floor_label(level)}
        )
        return int(floor.id)

    def _equipment(self, room: Room, wanted: dict[str, int]) -> bool:
        for code in wanted:
            if code not in self.equipment:
                item = Equipment(code=code, name_ko=code, name_en=code)
                self.session.add(item)
                self.session.flush()
                self.equipment[code] = int(item.id)  # type: ignore[arg-type]
                self.notes.append(_("New equipment '{code}' (name it on the equipment API).", code=code))
        wanted_ids = {self.equipment[code]: quantity for code, quantity in wanted.items()}
        have = {
            link.equipment_id: link
            for link in self.session.exec(select(RoomEquipment).where(RoomEquipment.room_id == room.id))
        }
        if {k: v.quantity for k, v in have.items()} == wanted_ids:
            return False
        self.session.exec(delete(RoomEquipment).where(col(RoomEquipment.room_id) == room.id))  # type: ignore[call-overload]
        for equipment_id, quantity in wanted_ids.items():
            self.session.add(RoomEquipment(room_id=int(room.id), equipment_id=equipment_id, quantity=quantity))  # type: ignore[arg-type]
        self.session.flush()
        return True

    def export_rows(self) -> list[dict[str, str]]:
        buildings = {id_: code for code, id_ in codes(self.session, Building).items()}
        equipment = {id_: code for code, id_ in codes(self.session, Equipment).items()}
        floors = {f.id: f.level for f in self.session.exec(select(Floor))}
        rooms = list(self.session.exec(select(Room).order_by(col(Room.code))))
        room_codes = {r.id: r.code for r in rooms}
        links: dict[int, dict[str, int]] = {}
        for link in self.session.exec(select(RoomEquipment)):
            links.setdefault(link.room_id, {})[equipment[link.equipment_id]] = link.quantity
        hours: dict[int, list[OpeningHours]] = {}
        for h in self.session.exec(select(OpeningHours).where(col(OpeningHours.room_id).is_not(None))):
            hours.setdefault(int(h.room_id), []).append(h)  # type: ignore[arg-type]
        # Parts after their hall, so the file imports back in one pass.
        rooms.sort(key=lambda r: (r.parent_id is not None, r.code))
        return [
            {
                "code": room.code,
                "building": buildings[room.building_id],
                "name_ko": room.name_ko,
                "name_en": room.name_en,
                "kind": room.kind,
                "capacity": str(room.capacity),
                "floor": floor_label(floors[room.floor_id]).removesuffix("F") if room.floor_id else "",
                "area_m2": fmt_number(room.area_m2),
                "bookable": fmt_bool(room.bookable_external),
                "status": room.status,
                "parent": room_codes.get(room.parent_id, "") if room.parent_id else "",
                "equipment": fmt_pairs(links.get(int(room.id), {})),  # type: ignore[arg-type]
                "accessible": fmt_bool(room.accessible),
                "description": room.description,
                **_export_hours(hours.get(int(room.id), [])),  # type: ignore[arg-type]
            }
            for room in rooms
        ]
