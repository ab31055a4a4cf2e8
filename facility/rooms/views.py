"""Pages of the campus catalogue: the filterable room list and a room's detail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from facility.core.auth import DbSession, OptionalUser
from facility.core.models import User
from facility.core.params import ObjectId
from facility.core.web import NavItem, render
from facility.rooms import service
from facility.rooms.kinds import Layout, RoomKind
from facility.rooms.models import Room
from facility.rooms.schemas import RoomFilters

router = APIRouter(include_in_schema=False)
NAV = (NavItem("nav.rooms", "/rooms", order=10),)
PAGE_SIZE = 24
# Panels a higher domain adds to a room's page (booking: price, rules, free times); each returns
# its template's context with a "template" key, or None. Wired in domains.connect_domains().
RoomPanel = Callable[[Any, Room, User | None], dict[str, Any] | None]
_panels: list[RoomPanel] = []


def register_room_panel(panel: RoomPanel) -> None:
    if panel not in _panels:
        _panels.append(panel)


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


@router.get("/rooms")
def catalogue(
    request: Request,
    session: DbSession,
    viewer: OptionalUser,
    building: str = "",
    kind: str = "",
    min_capacity: str = "",
    layout: str = "",
    equipment: Annotated[list[str] | None, Query()] = None,
    q: str = "",
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
) -> Response:
    filters = RoomFilters(
        building=building or None,
        kind=kind or None,
        min_capacity=_int_or_none(min_capacity),
        layout=layout or None,
        equipment=[e for e in (equipment or []) if e],
        q=q.strip()[:100] or None,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    rooms, total = service.search_rooms(session, viewer, filters)
    context = {
        "rooms": service.to_public(session, rooms),
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "filters": filters,
        "buildings": service.list_buildings(session, viewer),
        "kinds": list(RoomKind),
        "layouts": list(Layout),
        "equipment": service.list_equipment(session),
    }
    return render(request, "rooms/catalogue.html", context, block="results")


@router.get("/rooms/{room_id}")
def room_detail(request: Request, room_id: ObjectId, session: DbSession, viewer: OptionalUser) -> Response:
    room = service.get_room(session, room_id, viewer)
    public = service.to_public(session, [room])[0]
    hours = [(day, service.opening_hours(session, room, day)) for day in range(7)]
    parts = service.to_public(session, service.visible_rooms(session, viewer, public.part_ids))
    panels = [found for panel in _panels if (found := panel(session, room, viewer))]
    context = {"room": public, "hours": hours, "parts": parts, "panels": panels}
    return render(request, "rooms/detail.html", context)
