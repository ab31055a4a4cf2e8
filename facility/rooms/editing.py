"""Managers create and edit buildings, rooms and the equipment catalogue (audited)."""

from __future__ import annotations

from sqlmodel import Session, select

from facility.core.auth import ensure_role
from facility.core.editing import create_row, get_row, update_row
from facility.core.errors import InvalidInput
from facility.core.i18n import gettext as _
from facility.core.models import MANAGING_ROLES, User
from facility.rooms.models import Building, Campus, Equipment, Room
from facility.rooms.schemas import BuildingCreate, BuildingUpdate, EquipmentCreate, EquipmentUpdate, RoomCreate


def _by_code(session: Session, model: type[Building] | type[Campus], code: str, what: str) -> int:
    row = session.exec(select(model).where(model.code == code)).first()
    if row is None:
        raise InvalidInput(_("Unknown {what} '{value}'.", what=what, value=code))
    return int(row.id)  # type: ignore[attr-defined]


def create_building(session: Session, actor: User, data: BuildingCreate) -> Building:
    ensure_role(actor, *MANAGING_ROLES)
    campus_id = _by_code(session, Campus, data.campus, "campus")
    building = Building(campus_id=campus_id, **data.model_dump(exclude={"campus"}))
    building.name_en = building.name_en or building.name_ko
    return create_row(session, actor, building, entity="building")


CLEARABLE_BUILDING_FIELDS = frozenset({"approval_month"})


def update_building(session: Session, actor: User, building_id: int, changes: BuildingUpdate) -> Building:
    ensure_role(actor, *MANAGING_ROLES)
    building = get_row(session, Building, building_id, "Building")
    # A null approval month sent on purpose clears it (a wrong month would misplace the yearly
    # statutory checks); other nulls mean "unchanged", as before.
    values = {
        name: value
        for name, value in changes.model_dump(exclude_unset=True).items()
        if value is not None or name in CLEARABLE_BUILDING_FIELDS
    }
    return update_row(session, actor, building, values, entity="building")


def create_room(session: Session, actor: User, data: RoomCreate) -> Room:
    ensure_role(actor, *MANAGING_ROLES)
    building_id = _by_code(session, Building, data.building, "building")
    room = Room(building_id=building_id, **data.model_dump(exclude={"building"}, mode="json"))
    room.name_en = room.name_en or room.name_ko
    return create_row(session, actor, room, entity="room")


def list_equipment(session: Session) -> list[Equipment]:
    return list(session.exec(select(Equipment).order_by(Equipment.code)))


def create_equipment(session: Session, actor: User, data: EquipmentCreate) -> Equipment:
    ensure_role(actor, *MANAGING_ROLES)
    item = Equipment(**data.model_dump())
    item.name_en = item.name_en or item.name_ko
    return create_row(session, actor, item, entity="equipment")


def update_equipment(session: Session, actor: User, equipment_id: int, changes: EquipmentUpdate) -> Equipment:
    ensure_role(actor, *MANAGING_ROLES)
    item = get_row(session, Equipment, equipment_id, "Equipment")
    return update_row(session, actor, item, changes.model_dump(exclude_none=True), entity="equipment")
