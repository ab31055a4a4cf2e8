"""Availability search: rooms with their free slots in a window (or the occurrences of a recurring
slot they have free), and one room's free slots."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import AwareDatetime
from sqlmodel import Session, select

from facility.booking import availability, common, free_slots_local, free_slots_sql, series
from facility.booking.schemas import AvailabilityList, RoomAvailability, Slot
from facility.core.auth import DbSession, OptionalUser
from facility.core.errors import InvalidInput, error_responses
from facility.core.i18n import gettext as _
from facility.core.models import User
from facility.core.params import ObjectId
from facility.rooms import service as rooms_service
from facility.rooms.exceptions import RoomNotFound
from facility.rooms.models import Building, Room
from facility.rooms.schemas import RoomFilters
from facility.rooms.service import RoomRow

# Included by `router`, which gives the /api/v1 prefix and the booking tag.
router = APIRouter()
# A search window longer than this is refused: the week grid needs a week, reports a month.
MAX_SEARCH_WINDOW = timedelta(days=31)


def _window(start: AwareDatetime, end: AwareDatetime) -> tuple[Any, Any]:
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        raise InvalidInput(_("The end must be after the start."))
    if end - start > MAX_SEARCH_WINDOW:
        raise InvalidInput(_("Search at most 31 days at a time."))
    return start, end


def _slots(intervals: list[tuple[Any, Any]]) -> list[Slot]:
    zone = common.local_zone()
    return [Slot(start=lo.astimezone(zone), end=hi.astimezone(zone)) for lo, hi in intervals]


@router.get("/availability", response_model=AvailabilityList, responses=error_responses(InvalidInput))
def search_availability(
    session: DbSession,
    viewer: OptionalUser,
    start: AwareDatetime,
    end: AwareDatetime,
    min_capacity: Annotated[int | None, Query(ge=0)] = None,
    kind: str | None = None,
    building: str | None = None,
    layout: str | None = None,
    equipment: Annotated[list[str] | None, Query()] = None,
    min_free_minutes: Annotated[int, Query(ge=30, le=24 * 60)] = 30,
    only_free: bool = False,
    rrule: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """Rooms matching the filters, with their free slots in the window (renters: rentable ones).

    With `rrule` (e.g. `FREQ=WEEKLY;COUNT=8`) the window is one occurrence of a recurring slot:
    each room lists the occurrences it has free, and `all_free` says whether it has them all.
    """
    window = _window(start, end)
    filters = RoomFilters(
        building=building,
        kind=kind,
        min_capacity=min_capacity,
        layout=layout,
        equipment=equipment or [],
        bookable=None if viewer and viewer.is_staff else True,
        limit=500,
    )
    zone = common.local_zone()
    if rrule:
        return _recurring_availability(session, _all_rooms(session, viewer, filters), start, end, rrule, only_free)
    rooms = rooms_service.search_room_rows(session, viewer, filters)
    min_length = timedelta(minutes=min_free_minutes)
    # PostgreSQL computes each room's slots as JSON text; elsewhere they are computed here.
    found = free_slots_sql.free_slots_json(session, rooms, *window, zone, min_length=min_length)
    if found is None:
        found = free_slots_local.free_slots_json(session, rooms, *window, zone, min_length=min_length)
    # Built as text (the shape is AvailabilityList, as json.dumps writes it): a week of every room
    # is thousands of slots, and validating each as a model would cost more than computing them.
    items = [
        f'{{"room": {json.dumps(_room_summary(room), ensure_ascii=False)}, "free": [{found.get(room.id, "")}]}}'
        for room in rooms
        if not only_free or found.get(room.id)
    ]
    return Response(f'{{"items": [{", ".join(items)}]}}', media_type="application/json")


def _all_rooms(session: Session, viewer: User | None, filters: RoomFilters) -> list[Room]:
    rooms, total = rooms_service.search_rooms(session, viewer, filters)
    while len(rooms) < total:  # the catalogue pages by 500; a campus may have more rooms
        more, _total = rooms_service.search_rooms(session, viewer, filters.model_copy(update={"offset": len(rooms)}))
        if not more:
            break
        rooms += more
    return rooms


def _room_summary(room: Room | RoomRow, buildings: dict[int | None, str] | None = None) -> dict[str, Any]:
    return {
        "id": room.id,
        "code": room.code,
        "name_ko": room.name_ko,
        "name_en": room.name_en,
        "kind": room.kind,
        "capacity": room.capacity,
        "building": room.building if isinstance(room, RoomRow) else buildings[room.building_id],  # type: ignore[index]
        "status": room.status,
        "bookable_external": room.bookable_external,
        "parent_id": room.parent_id,
    }


def _recurring_availability(
    session: Session, rooms: list[Room], start: datetime, end: datetime, rule: str, only_free: bool
) -> Response:
    zone = common.local_zone()
    first = start.astimezone(zone)
    length = end.astimezone(zone) - first
    occurrences = [(s, s + length) for s in series.expand(rule, first)]
    free = availability.occurrences_free(session, rooms, occurrences, zone)
    buildings = {b.id: b.code for b in session.exec(select(Building))}
    items = []
    for room in rooms:
        flags = free[room.id]  # type: ignore[index]
        if only_free and not all(flags):
            continue
        items.append(
            {
                "room": _room_summary(room, buildings),
                "free": [
                    {"start": lo.isoformat(), "end": hi.isoformat()}
                    for (lo, hi), ok in zip(occurrences, flags, strict=True)
                    if ok
                ],
                "occurrences": len(occurrences),
                "all_free": all(flags),
            }
        )
    items.sort(key=lambda item: not item["all_free"])
    return Response(json.dumps({"items": items}, ensure_ascii=False), media_type="application/json")


@router.get(
    "/rooms/{room_id}/availability",
    response_model=RoomAvailability,
    responses=error_responses(RoomNotFound, InvalidInput),
)
def room_availability(
    room_id: ObjectId, session: DbSession, viewer: OptionalUser, start: AwareDatetime, end: AwareDatetime
) -> RoomAvailability:
    window = _window(start, end)
    room = rooms_service.get_room(session, room_id, viewer)
    free = availability.free_slots_many(session, [room], *window, common.local_zone())
    return RoomAvailability(
        room=rooms_service.to_public(session, [room])[0],
        free=_slots(free[room.id]),  # type: ignore[index]
    )
