"""Finding a room: the search page, a room's week and a building's week, each with its free hours."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from facility.booking import availability, grid, pricing, rules
from facility.booking.pages.dates import parse_day, today
from facility.core import accounts
from facility.core.auth import DbSession, OptionalUser
from facility.core.errors import NotFound
from facility.core.i18n import gettext as _
from facility.core.web import render
from facility.rooms import service as rooms_service
from facility.rooms.kinds import RoomKind
from facility.rooms.schemas import RoomFilters

router = APIRouter(include_in_schema=False)
# Cards per page of the search (a campus has a hundred rentable rooms and more).
PAGE_SIZE = 24


@router.get("/book")
def search_page(
    request: Request,
    session: DbSession,
    viewer: OptionalUser,
    day: str = "",
    min_capacity: str = "",
    kind: str = "",
    building: str = "",
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
) -> Response:
    zone = request.app.state.settings.zone
    chosen = parse_day(day, today(request) + timedelta(days=7))
    filters = RoomFilters(
        building=building or None,
        kind=kind or None,
        min_capacity=int(min_capacity) if min_capacity.isdigit() else None,
        bookable=True,
        limit=200,
    )
    rooms, _total = rooms_service.search_rooms(session, viewer, filters)
    start = datetime.combine(chosen, time(0), tzinfo=zone).astimezone(UTC)
    free = availability.free_slots_many(
        session, rooms, start, start + timedelta(days=1), zone, min_length=timedelta(hours=1)
    )
    # Each free stretch offers a two-hour request (or shorter, to fit) from its start.
    results = [
        (room, [(lo, hi, min(hi, lo + timedelta(hours=2))) for lo, hi in free[room.id]])  # type: ignore[index]
        for room in rooms
        if free[room.id]  # type: ignore[index]
    ]
    pages = max(1, -(-len(results) // PAGE_SIZE))
    shown = results[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    context = {
        "day": chosen,
        "results": shown,
        "total": len(results),
        "matching": len(rooms),
        "page": page,
        "pages": pages,
        "prices": pricing.hourly_prices(session, [room for room, _slots in shown]),
        "kind_order": {kind.value: i for i, kind in enumerate(RoomKind)},
        "filtered": bool(filters.building or filters.kind or filters.min_capacity),
        "filters": filters,
        "kinds": list(RoomKind),
        "buildings": rooms_service.list_buildings(session, viewer),
        "waiting_org": accounts.unapproved_organization(session, viewer),
        "holiday": rules.holiday_name(session, chosen),
    }
    return render(request, "booking/search.html", context, block="results")


@router.get("/book/rooms/{room_id}")
def room_week(request: Request, room_id: int, session: DbSession, viewer: OptionalUser, week: str = "") -> Response:
    room = rooms_service.get_room(session, room_id, viewer)
    monday = grid.monday_of(parse_day(week, today(request) + timedelta(days=7)))
    week_grid = grid.week_grid(session, room, monday, request.app.state.settings.zone)
    context = {
        "room": rooms_service.to_public(session, [room])[0],
        "grid": week_grid,
        "monday": monday,
        "prev_week": monday - timedelta(days=7),
        "next_week": monday + timedelta(days=7),
    }
    return render(request, "booking/week.html", context, block="week")


@router.get("/book/buildings/{code}")
def building_week(request: Request, code: str, session: DbSession, viewer: OptionalUser, week: str = "") -> Response:
    """A building's rentable rooms over a week: free hours per day, each linking to the room."""
    buildings = {b.code: b for b in rooms_service.list_buildings(session, viewer)}
    if code not in buildings:
        raise NotFound(_("No such building."))
    rooms, _total = rooms_service.search_rooms(session, viewer, RoomFilters(building=code, bookable=True, limit=500))
    monday = grid.monday_of(parse_day(week, today(request) + timedelta(days=7)))
    days, rows = grid.building_week(session, rooms, monday, request.app.state.settings.zone)
    context = {
        "building": buildings[code],
        "days": days,
        "rows": rows,
        "monday": monday,
        "prev_week": monday - timedelta(days=7),
        "next_week": monday + timedelta(days=7),
    }
    return render(request, "booking/building_week.html", context, block="week")
