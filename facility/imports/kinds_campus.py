"""Buildings and rooms, matched by code."""

from __future__ import annotations

from datetime import time
from functools import cached_property
from typing import Any

from sqlmodel import Session, col, delete, select

from facility.core.i18n import gettext as _
from facility.imports import korean
from facility.imports.base import Created, Importer, fmt_bool, fmt_hours, fmt_number, fmt_pairs, parse_pairs
from facility.imports.rows import Column, Row, codes, plain_rows, rows_by, upsert
from facility.rooms.kinds import RoomKind, RoomStatus
from facility.rooms.models import Building, Campus, Equipment, Floor, OpeningHours, Room, RoomEquipment

HOURS_COLUMNS = {"weekday_hours": range(5), "saturday_hours": (5,), "sunday_hours": (6,)}
HOURS_HELP = "08:00-22:00 (24:00: until midnight), or closed (휴관); empty keeps what is there"


def floor_label(level: int) -> str:
    return f"B{-level}" if level < 0 else f"{level}F"


def parse_level(row: Row, column: str, text: str) -> int | None:
    """`B1`/`지하1층` -> -1, `3`/`3F`/`3층` -> 3; there is no floor 0."""
    level = korean.read_floor(text)
    if level is None:
        row.problem(column, _("'{value}' is not a floor (B1, 1, 2F ...).", value=text))
        return None
    return level


def building_names(session: Session) -> dict[str, int]:
    """Each building's Korean and English name (squeezed) -> its id, for rows that name it: 교육동."""
    found: dict[str, int] = {}
    for building in session.exec(select(Building)):
        for name in (building.name_ko, building.name_en):
            if name:
                found.setdefault(korean.squeeze(name), int(building.id))  # type: ignore[arg-type]
    return found


def _read_hours(row: Row) -> dict[int, tuple[time | None, time | None]]:
    days: dict[int, tuple[time | None, time | None]] = {}
    for column, weekdays in HOURS_COLUMNS.items():
        pair = row.hours(column)
        if pair is not None:
            days.update({d: pair for d in weekdays})
    return days


Week = dict[int, OpeningHours]


def _weeks(importer: Importer, *, of_rooms: bool) -> dict[int, Week]:
    """Opening hours of every room (or every building's own), by owner id then weekday: one query."""
    weeks: dict[int, Week] = {}
    owner = OpeningHours.room_id if of_rooms else OpeningHours.building_id
    query = select(OpeningHours).where(
        col(OpeningHours.room_id).is_not(None) if of_rooms else col(OpeningHours.room_id).is_(None)
    )
    for hours in importer.session.exec(query):
        weeks.setdefault(getattr(hours, owner.key), {})[hours.weekday] = hours  # type: ignore[union-attr]
    return weeks


def _write_hours(
    importer: Importer, week: Week, days: dict[int, tuple[time | None, time | None]], **owner: int | None
) -> bool:
    """Set the given weekdays' hours of a building (room_id None) or a room in `week`; says if any changed."""
    changed = False
    for weekday, (opens, closes) in days.items():
        row = week.get(weekday)
        if row is None:
            importer.insert_later(OpeningHours, {"weekday": weekday, "opens": opens, "closes": closes, **owner})
            changed = True
        elif (row.opens, row.closes) != (opens, closes):
            row.opens, row.closes = opens, closes
            importer.session.add(row)
            week[weekday] = row
            changed = True
    return changed


def _export_hours(hours: list[Any]) -> dict[str, str]:
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
        Column("approval_month", help="사용승인일 or its month (1-12): yearly statutory checks fall in it"),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.campuses = rows_by(self.session, Campus, "code")
        self.buildings = rows_by(self.session, Building, "code")
        self.levels = set(rows_by(self.session, Floor, "building_id", "level"))
        self.weeks = _weeks(self, of_rooms=False)

    def apply(self, row: Row) -> str:
        code = row.text("code", required=True, max_length=40)
        campus_code = row.text("campus", required=True, max_length=40)
        name_ko = row.text("name_ko", required=True)
        name_en = row.text("name_en") or name_ko
        sort_order = row.integer("sort_order")
        levels = [parse_level(row, "floors", part) for part in row.text("floors").split(";") if part.strip()]
        days = _read_hours(row)
        approval = row.text("approval_month")
        approval_month = korean.read_month(approval) if approval else None
        if approval and approval_month is None:
            row.problem("approval_month", _("'{value}' is not a month or a date.", value=approval))
        if not row.ok:
            return ""
        campus = self.campuses.get((campus_code,))
        if campus is None:
            campus = Campus(code=campus_code, name_ko=campus_code, name_en=campus_code)
            self.session.add(campus)
            self.session.flush()
            self.campuses[(campus_code,)] = campus
            self.notes.append(_("New campus '{code}' (rename it on the campus page).", code=campus_code))
        building, outcome = upsert(
            self.session,
            Building,
            {"code": code},
            {
                "campus_id": campus.id,
                "name_ko": name_ko,
                "name_en": name_en,
                "sort_order": sort_order,
                "approval_month": approval_month,
            },
            known=self.buildings,
        )
        changed = False
        for level in levels:
            if level is not None and (building.id, level) not in self.levels:
                self.session.add(Floor(building_id=building.id, level=level, label=floor_label(level)))
                self.levels.add((building.id, level))
                changed = True
        week = self.weeks.setdefault(building.id, {})
        changed |= _write_hours(self, week, days, building_id=building.id, room_id=None)
        return "updated" if outcome == "unchanged" and changed else outcome

    def export_rows(self) -> list[dict[str, str]]:
        campuses = {c.id: code for (code,), c in self.campuses.items()}
        levels: dict[int, list[int]] = {}
        for building_id, level in sorted(self.levels):
            levels.setdefault(building_id, []).append(level)
        buildings = sorted(self.buildings.values(), key=lambda b: (b.sort_order, b.code))
        return [
            {
                "code": building.code,
                "campus": campuses[building.campus_id],
                "name_ko": building.name_ko,
                "name_en": building.name_en,
                "floors": ";".join(floor_label(level).removesuffix("F") for level in levels.get(building.id, [])),
                "sort_order": str(building.sort_order),
                **_export_hours(list(self.weeks.get(building.id, {}).values())),
                "approval_month": str(building.approval_month or ""),
            }
            for building in buildings
        ]


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
        self.building_names = building_names(self.session)
        self.equipment = codes(self.session, Equipment)

    # What an import compares rows with, loaded at the first row (an export reads plain rows instead).
    @cached_property
    def rooms(self) -> dict[tuple[Any, ...], Any]:
        return rows_by(self.session, Room, "code")

    @cached_property
    def floors(self) -> dict[tuple[Any, ...], Any]:
        return rows_by(self.session, Floor, "building_id", "level")

    @cached_property
    def weeks(self) -> dict[int, Week]:
        return _weeks(self, of_rooms=True)

    @cached_property
    def links(self) -> dict[int, dict[int, int]]:
        """room id -> equipment id -> quantity"""
        links: dict[int, dict[int, int]] = {}
        for link in self.session.exec(select(RoomEquipment)):
            links.setdefault(link.room_id, {})[link.equipment_id] = link.quantity
        return links

    def apply(self, row: Row) -> str:
        code = row.text("code", required=True, max_length=40)
        building_id = row.lookup("building", self.buildings, "building", required=True, names=self.building_names)
        name_ko = row.text("name_ko", required=True)
        values = {
            "name_ko": name_ko,
            "name_en": row.text("name_en") or name_ko,
            "kind": row.choice("kind", RoomKind, required=True, labels="kind."),
            "capacity": row.integer("capacity"),
            "area_m2": row.decimal("area_m2"),
            "bookable_external": row.boolean("bookable", default=False),
            "status": row.choice("status", RoomStatus, default=RoomStatus.open.value, labels="status."),
            "accessible": row.boolean("accessible", default=True),
            "description": row.text("description", max_length=2000),
        }
        floor_text = row.text("floor")
        level = parse_level(row, "floor", floor_text) if floor_text else None
        parent_code = row.text("parent")
        parent = self.rooms.get((parent_code,)) if parent_code else None
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
        room = self.rooms.get((code,))
        if room is None:
            room = self.rooms[(code,)] = Created(self.create(Room, {"code": code, **values}))
            self._parts(room, equipment, days)
            return "created"
        room, outcome = upsert(self.session, Room, {"code": code}, values, known=self.rooms, flush=False)
        changed = self._parts(room, equipment, days)
        return "updated" if outcome == "unchanged" and changed else outcome

    def _parts(
        self, room: Room | Created, equipment: dict[str, int], days: dict[int, tuple[time | None, time | None]]
    ) -> bool:
        """A room's equipment and own hours; says if any changed."""
        changed = self._equipment(room, equipment)
        week = self.weeks.setdefault(room.id, {})  # type: ignore[arg-type]
        return _write_hours(self, week, days, building_id=None, room_id=room.id) or changed

    def _floor(self, building_id: int, level: int) -> int:
        known = self.floors.get((building_id, level))
        if known is not None and known.label == floor_label(level):
            return int(known.id)  # as upsert would find it, without its bookkeeping
        key = {"building_id": building_id, "level": level}
        # Only a new floor is flushed (for its id): flushing a known one wrote the room before it, one per row.
        new = (building_id, level) not in self.floors
        floor, _outcome = upsert(self.session, Floor, key, {"label": floor_label(level)}, known=self.floors, flush=new)
        return int(floor.id)

    def _equipment(self, room: Room | Created, wanted: dict[str, int]) -> bool:
        for code in wanted:
            if code not in self.equipment:
                item = Equipment(code=code, name_ko=code, name_en=code)
                self.session.add(item)
                self.session.flush()
                self.equipment[code] = int(item.id)  # type: ignore[arg-type]
                self.notes.append(_("New equipment '{code}' (name it on the equipment API).", code=code))
        wanted_ids = {self.equipment[code]: quantity for code, quantity in wanted.items()}
        have = self.links.get(int(room.id), {})  # type: ignore[arg-type]
        if have == wanted_ids:
            return False
        if have:
            self.session.exec(delete(RoomEquipment).where(col(RoomEquipment.room_id) == room.id))  # type: ignore[call-overload]
        for equipment_id, quantity in wanted_ids.items():
            self.insert_later(RoomEquipment, {"room_id": room.id, "equipment_id": equipment_id, "quantity": quantity})
        self.links[int(room.id)] = wanted_ids  # type: ignore[arg-type]
        return True

    def export_rows(self) -> list[dict[str, str]]:
        buildings = {id_: code for code, id_ in self.buildings.items()}
        equipment = {id_: code for code, id_ in self.equipment.items()}
        floors = {f.id: f.level for f in plain_rows(self.session, Floor)}
        rooms = plain_rows(self.session, Room)
        room_codes = {r.id: r.code for r in rooms}
        links: dict[int, dict[str, int]] = {}
        for link in plain_rows(self.session, RoomEquipment):
            links.setdefault(link.room_id, {})[equipment[link.equipment_id]] = link.quantity
        hours: dict[int, list[Any]] = {}
        for day in plain_rows(self.session, OpeningHours):
            if day.room_id is not None:
                hours.setdefault(day.room_id, []).append(day)
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
