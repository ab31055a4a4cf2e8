"""JSON API of the campus catalogue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from facility.core.auth import CurrentUser, DbSession, OptionalUser
from facility.core.errors import Forbidden, NotAuthenticated, error_responses
from facility.core.params import Limit, ObjectId, Offset
from facility.rooms import admin_api, service
from facility.rooms.exceptions import RoomNotFound
from facility.rooms.schemas import BuildingPublic, RoomFilters, RoomList, RoomPublic, RoomUpdate

router = APIRouter(prefix="/api/v1", tags=["rooms"])


@router.get("/rooms", response_model=RoomList)
def list_rooms(
    session: DbSession,
    viewer: OptionalUser,
    building: str | None = None,
    campus: str | None = None,
    kind: str | None = None,
    min_capacity: Annotated[int | None, Query(ge=0, le=1_000_000)] = None,
    layout: str | None = None,
    bookable: bool | None = None,
    equipment: Annotated[list[str] | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> RoomList:
    """Rooms visitors and renters may rent; staff see every room."""
    filters = RoomFilters(
        building=building,
        campus=campus,
        kind=kind,
        min_capacity=min_capacity,
        layout=layout,
        bookable=bookable,
        equipment=equipment or [],
        q=q,
        limit=limit,
        offset=offset,
    )
    rooms, total = service.search_rooms(session, viewer, filters)
    return RoomList(items=service.to_public(session, rooms), total=total)


@router.get("/rooms/{room_id}", response_model=RoomPublic, responses=error_responses(RoomNotFound))
def read_room(room_id: ObjectId, session: DbSession, viewer: OptionalUser) -> RoomPublic:
    return service.to_public(session, [service.get_room(session, room_id, viewer)])[0]


@router.patch(
    "/rooms/{room_id}",
    response_model=RoomPublic,
    responses=error_responses(RoomNotFound, Forbidden, NotAuthenticated),
)
def patch_room(room_id: ObjectId, changes: RoomUpdate, session: DbSession, user: CurrentUser) -> RoomPublic:
    room = service.update_room(session, user, room_id, changes)
    return service.to_public(session, [room])[0]


@router.get("/buildings", response_model=list[BuildingPublic])
def list_buildings(session: DbSession, viewer: OptionalUser) -> list[BuildingPublic]:
    return service.list_buildings(session, viewer)


router.include_router(admin_api.router)
