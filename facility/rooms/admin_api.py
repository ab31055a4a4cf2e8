"""JSON API for managers: create and edit buildings, rooms and the equipment catalogue."""

from __future__ import annotations

from fastapi import APIRouter
from sqlmodel import Session, col, func, select

from facility.core.auth import CurrentUser, DbSession
from facility.core.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound, error_responses
from facility.core.params import ObjectId
from facility.rooms import editing, service
from facility.rooms.models import Building, Campus, Floor, Room
from facility.rooms.schemas import (
    BuildingCreate,
    BuildingPublic,
    BuildingUpdate,
    EquipmentCreate,
    EquipmentItem,
    EquipmentUpdate,
    RoomCreate,
    RoomPublic,
)

router = APIRouter(tags=["rooms"])
WRITE_ERRORS = (NotAuthenticated, Forbidden, Conflict, InvalidInput)


def _building_public(session: Session, building: Building) -> BuildingPublic:
    campus = session.get(Campus, building.campus_id)
    floors = session.exec(select(Floor.label).where(Floor.building_id == building.id).order_by(col(Floor.level)))
    rooms = session.exec(select(func.count()).select_from(Room).where(Room.building_id == building.id)).one()
    return BuildingPublic(
        id=building.id,  # type: ignore[arg-type]
        code=building.code,
        name_ko=building.name_ko,
        name_en=building.name_en,
        campus=campus.code if campus else "",
        floors=list(floors),
        room_count=rooms,
        approval_month=building.approval_month,
    )


@router.post("/buildings", response_model=BuildingPublic, status_code=201, responses=error_responses(*WRITE_ERRORS))
def create_building(body: BuildingCreate, session: DbSession, user: CurrentUser) -> BuildingPublic:
    """A new building on a campus (managers)."""
    return _building_public(session, editing.create_building(session, user, body))


@router.patch(
    "/buildings/{building_id}", response_model=BuildingPublic, responses=error_responses(NotFound, *WRITE_ERRORS)
)
def update_building(
    building_id: ObjectId, body: BuildingUpdate, session: DbSession, user: CurrentUser
) -> BuildingPublic:
    return _building_public(session, editing.update_building(session, user, building_id, body))


@router.post("/rooms", response_model=RoomPublic, status_code=201, responses=error_responses(*WRITE_ERRORS))
def create_room(body: RoomCreate, session: DbSession, user: CurrentUser) -> RoomPublic:
    """A new room in a building (managers); edit it with PATCH /rooms/{id}."""
    return service.to_public(session, [editing.create_room(session, user, body)])[0]


@router.get("/equipment", response_model=list[EquipmentItem])
def list_equipment(session: DbSession) -> list[EquipmentItem]:
    """The equipment catalogue rooms list and fees price."""
    return [EquipmentItem.model_validate(e, from_attributes=True) for e in editing.list_equipment(session)]


@router.post("/equipment", response_model=EquipmentItem, status_code=201, responses=error_responses(*WRITE_ERRORS))
def create_equipment(body: EquipmentCreate, session: DbSession, user: CurrentUser) -> EquipmentItem:
    return EquipmentItem.model_validate(editing.create_equipment(session, user, body), from_attributes=True)


@router.patch(
    "/equipment/{equipment_id}", response_model=EquipmentItem, responses=error_responses(NotFound, *WRITE_ERRORS)
)
def update_equipment(
    equipment_id: ObjectId, body: EquipmentUpdate, session: DbSession, user: CurrentUser
) -> EquipmentItem:
    return EquipmentItem.model_validate(
        editing.update_equipment(session, user, equipment_id, body), from_attributes=True
    )
