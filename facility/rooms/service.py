"""Rules of the campus catalogue: search, detail, dividable spaces, opening hours, changes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import time
from typing import NamedTuple

from sqlalchemy import or_
from sqlmodel import Session, col, func, select

from facility.core import audit, memo
from facility.core.auth import ensure_role
from facility.core.models import MANAGING_ROLES, User
from facility.rooms.exceptions import RoomNotFound
from facility.rooms.kinds import RoomStatus
from facility.rooms.models import (
    Building,
    Campus,
    Equipment,
    Floor,
    Room,
    RoomEquipment,
    RoomLayout,
)
from facility.rooms.plan import CampusPlan
from facility.rooms.schemas import (
    BuildingPublic,
    EquipmentPublic,
    RoomFilters,
    RoomPublic,
    RoomUpdate,
)


def _visible_to(query, viewer: User | None):  # type: ignore[no-untyped-def]
    """Renters and visitors see the rooms they may rent; staff see every room."""
    if viewer is None or not viewer.is_staff:
        query = query.where(col(Room.bookable_external).is_(True))
    return query


class RoomRow(NamedTuple):
    """The columns of a room that lists of many rooms show (no ORM identity to build)."""

    id: int
    code: str
    name_ko: str
    name_en: str
    kind: str
    capacity: int
    building_id: int
    building: str  # the building's code
    status: str
    bookable_external: bool
    parent_id: int | None


def search_rooms(session: Session, viewer: User | None, filters: RoomFilters) -> tuple[list[Room], int]:
    """Rooms matching the filters, ordered by building then code, with the total count."""
    query = _search_query(viewer, filters)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(Building.sort_order, Room.code).limit(filters.limit).offset(filters.offset)
    ).all()
    return list(rows), total


def search_room_rows(session: Session, viewer: User | None, filters: RoomFilters) -> list[RoomRow]:
    """Every room matching the filters (no paging), as plain rows in search_rooms' order: what a
    search over a whole campus reads, a thousand rooms without building a model of each."""
    query = _search_query(viewer, filters).with_only_columns(
        Room.id,
        Room.code,
        Room.name_ko,
        Room.name_en,
        Room.kind,
        Room.capacity,
        Room.building_id,
        Building.code,
        Room.status,
        Room.bookable_external,
        Room.parent_id,
    )
    rows = session.connection().execute(query.order_by(Building.sort_order, Room.code))
    return [RoomRow(*row) for row in rows]


def _search_query(viewer: User | None, filters: RoomFilters):  # type: ignore[no-untyped-def]
    query = _visible_to(select(Room).join(Building, col(Building.id) == Room.building_id), viewer)
    if filters.building:
        query = query.where(Building.code == filters.building)
    if filters.campus:
        query = query.join(Campus, col(Campus.id) == Building.campus_id).where(Campus.code == filters.campus)
    if filters.kind:
        query = query.where(Room.kind == filters.kind)
    if filters.bookable is not None:
        query = query.where(col(Room.bookable_external).is_(filters.bookable))
    if filters.min_capacity:
        if filters.layout:
            seats = (
                select(RoomLayout.room_id)
                .where(RoomLayout.layout == filters.layout)
                .where(RoomLayout.capacity >= filters.min_capacity)
            )
            query = query.where(col(Room.id).in_(seats))
        else:
            query = query.where(Room.capacity >= filters.min_capacity)
    for code in filters.equipment:
        has = (
            select(RoomEquipment.room_id)
            .join(Equipment, col(Equipment.id) == RoomEquipment.equipment_id)
            .where(Equipment.code == code)
        )
        query = query.where(col(Room.id).in_(has))
    if filters.q:
        like = f"%{filters.q.strip()}%"
        query = query.where(
            or_(col(Room.name_ko).ilike(like), col(Room.name_en).ilike(like), col(Room.code).ilike(like))
        )
    return query


def get_room(session: Session, room_id: int, viewer: User | None = None) -> Room:
    room = session.get(Room, room_id)
    if room is None or ((viewer is None or not viewer.is_staff) and not room.bookable_external):
        raise RoomNotFound(room_id)
    return room


def room_snapshot(session: Session, room_id: int) -> Room | None:
    """A detached copy of the room as it is now (the committed read model, core/memo.py): every booking request
    reads its room, and a refused one needs nothing else of it. Read-only to callers."""

    def read(s: Session) -> Room | None:
        room = s.get(Room, room_id)
        return None if room is None else memo.copy_of(room)

    return memo.remembered(session, f"rooms.room:{room_id}", ("room",), read)


def visible_rooms(session: Session, viewer: User | None, room_ids: Sequence[int]) -> list[Room]:
    if not room_ids:
        return []
    query = _visible_to(select(Room).where(col(Room.id).in_(room_ids)), viewer)
    return list(session.exec(query.order_by(Room.code)).all())


def to_public(session: Session, rooms: Sequence[Room]) -> list[RoomPublic]:
    """Public shapes for many rooms with one query per related table, not per room."""
    if not rooms:
        return []
    ids = [r.id for r in rooms]
    buildings = {b.id: b for b in session.exec(select(Building)).all()}
    campuses = {c.id: c for c in session.exec(select(Campus)).all()}
    floor_ids = {r.floor_id for r in rooms if r.floor_id}
    floors = {f.id: f for f in session.exec(select(Floor).where(col(Floor.id).in_(floor_ids))).all()}
    layouts: dict[int, dict[str, int]] = defaultdict(dict)
    for layout in session.exec(select(RoomLayout).where(col(RoomLayout.room_id).in_(ids))):
        layouts[layout.room_id][layout.layout] = layout.capacity
    equipment: dict[int, list[EquipmentPublic]] = defaultdict(list)
    rows = session.exec(
        select(RoomEquipment, Equipment)
        .join(Equipment, col(Equipment.id) == RoomEquipment.equipment_id)
        .where(col(RoomEquipment.room_id).in_(ids))
        .order_by(Equipment.code)
    )
    for link, item in rows:
        equipment[link.room_id].append(
            EquipmentPublic(code=item.code, name_ko=item.name_ko, name_en=item.name_en, quantity=link.quantity)
        )
    parts: dict[int, list[int]] = defaultdict(list)
    for part_id, parent_id in session.exec(select(Room.id, Room.parent_id).where(col(Room.parent_id).in_(ids))):
        if part_id is not None and parent_id is not None:
            parts[parent_id].append(part_id)
    result = []
    for room in rooms:
        building = buildings[room.building_id]
        floor = floors.get(room.floor_id) if room.floor_id else None
        result.append(
            RoomPublic(
                **room.model_dump(exclude={"building_id", "floor_id"}),
                layouts=layouts.get(room.id, {}),  # type: ignore[arg-type]
                building=building.code,
                building_name_ko=building.name_ko,
                building_name_en=building.name_en,
                campus=campuses[building.campus_id].code,
                floor=floor.label if floor else None,
                part_ids=sorted(parts.get(room.id, [])),  # type: ignore[arg-type]
                equipment=equipment.get(room.id, []),  # type: ignore[arg-type]
            )
        )
    return result


def list_buildings(session: Session, viewer: User | None) -> list[BuildingPublic]:
    campuses = {c.id: c.code for c in session.exec(select(Campus)).all()}
    counts = dict(
        session.exec(_visible_to(select(Room.building_id, func.count()), viewer).group_by(Room.building_id)).all()
    )
    floors: dict[int, list[str]] = defaultdict(list)
    for floor in session.exec(select(Floor).order_by(col(Floor.level))):
        floors[floor.building_id].append(floor.label)
    return [
        BuildingPublic(
            id=b.id,  # type: ignore[arg-type]
            code=b.code,
            name_ko=b.name_ko,
            name_en=b.name_en,
            campus=campuses[b.campus_id],
            floors=floors.get(b.id, []),  # type: ignore[arg-type]
            room_count=counts.get(b.id, 0),
            approval_month=b.approval_month,
        )
        for b in session.exec(select(Building).order_by(col(Building.sort_order), col(Building.code)))
        if counts.get(b.id, 0)
    ]


def list_equipment(session: Session) -> list[Equipment]:
    return list(session.exec(select(Equipment).order_by(Equipment.code)).all())


def all_rooms(session: Session) -> list[Room]:
    """Every room by code, for staff: pick lists and the pages that place things in rooms."""
    return list(session.exec(select(Room).order_by(Room.code)).all())


def all_buildings(session: Session) -> list[Building]:
    """Every building in the campus's own order."""
    return list(session.exec(select(Building).order_by(col(Building.sort_order), col(Building.code))).all())


def floor_labels(session: Session, building_code: str | None = None) -> list[str]:
    """Floor labels from the lowest level up: one building's, or every building's without repeats."""
    query = select(Floor.label, Floor.level).distinct().order_by(col(Floor.level))
    if building_code:
        query = query.join(Building, col(Building.id) == Floor.building_id).where(Building.code == building_code)
    return list(dict.fromkeys(label for label, _ in session.exec(query)))


def atomic_space_ids(session: Session, room_id: int) -> list[int]:
    """The indivisible spaces a booking of this room occupies: its leaf parts, or itself
    (rooms/plan.py, from the committed read model)."""
    return CampusPlan.load(session).leaves(room_id)


def related_room_ids(session: Session, room_id: int) -> list[int]:
    """Rooms whose bookings share space with this one: itself, its parts and its ancestors."""
    ids = {room_id}
    for leaf in atomic_space_ids(session, room_id):
        current = session.get(Room, leaf)
        while current is not None:
            ids.add(current.id)  # type: ignore[arg-type]
            current = session.get(Room, current.parent_id) if current.parent_id else None
    return sorted(ids)


def opening_hours(session: Session, room: Room, weekday: int) -> tuple[time, time] | None:
    """Local opening and closing time of a room on a weekday; None when it is closed that day
    (rooms/plan.py, from the committed read model)."""
    return CampusPlan.load(session).hours(room, weekday)


def update_room(session: Session, actor: User, room_id: int, changes: RoomUpdate) -> Room:
    """A manager changes a room's details or status; the change is audited."""
    ensure_role(actor, *MANAGING_ROLES)
    room = get_room(session, room_id, actor)
    before = audit.snapshot(room)
    for field, value in changes.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(room, field, value.value if hasattr(value, "value") else value)
    session.add(room)
    session.flush()
    audit.record(session, actor, "room.update", "room", room.id, before=before, after=room)
    return room


def set_room_status(session: Session, actor: User | None, room_id: int, status: RoomStatus) -> Room:
    """Open, close or mark a room under maintenance (also used by the maintenance domain)."""
    if actor is not None:
        ensure_role(actor, *MANAGING_ROLES)
    room = session.get(Room, room_id)
    if room is None:
        raise RoomNotFound(room_id)
    if room.status != status.value:
        before = audit.snapshot(room)
        room.status = status.value
        session.add(room)
        session.flush()
        audit.record(session, actor, "room.status", "room", room.id, before=before, after=room)
    return room


def room_id_for_code(session: Session, code: str) -> int:
    """The id of the room with this code (as people type it), or RoomNotFound."""
    room_id = session.exec(select(Room.id).where(func.upper(Room.code) == code.upper())).first()
    if room_id is None:
        raise RoomNotFound(code)
    return room_id
