"""JSON API of the booking domain."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import AwareDatetime
from sqlmodel import Session, select

from facility.booking import (
    availability,
    calendar_api,
    invoice_api,
    pricing,
    rules,
    series,
    service,
)
from facility.booking.exceptions import (
    BlockNotFound,
    BookingConflict,
    BookingNotFound,
    BookingRuleViolation,
    InvalidTransition,
)
from facility.booking.models import Block, Booking
from facility.booking.schemas import (
    AvailabilityList,
    BlockCreate,
    BlockPlaced,
    BlockPublic,
    BookingCreate,
    BookingList,
    BookingMove,
    BookingPublic,
    QuoteRequest,
    Reason,
    RoomAvailability,
    SeriesCreate,
    Slot,
)
from facility.core.auth import CurrentUser, DbSession, OptionalUser, ensure_role
from facility.core.errors import (
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    error_responses,
)
from facility.core.models import MANAGING_ROLES, Organization
from facility.core.params import ObjectId
from facility.rooms import service as rooms_service
from facility.rooms.exceptions import RoomNotFound
from facility.rooms.models import Building, Room
from facility.rooms.schemas import RoomFilters

router = APIRouter(prefix="/api/v1", tags=["booking"])
# A search window longer than this is refused: the week grid needs a week, reports a month.
MAX_SEARCH_WINDOW = timedelta(days=31)


def booking_public(booking: Booking) -> BookingPublic:
    zone = service.local_zone()
    return BookingPublic(
        **booking.model_dump(exclude={"starts_at", "ends_at", "price_total"}),
        start=booking.starts_at.astimezone(zone),
        end=booking.ends_at.astimezone(zone),
        price=booking.price_total,
    )


def block_public(block: Block) -> BlockPublic:
    zone = service.local_zone()
    return BlockPublic(
        **block.model_dump(exclude={"starts_at", "ends_at"}),
        start=block.starts_at.astimezone(zone),
        end=block.ends_at.astimezone(zone),
    )


def _window(start: AwareDatetime, end: AwareDatetime) -> tuple[Any, Any]:
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        raise InvalidInput("The end must be after the start.")
    if end - start > MAX_SEARCH_WINDOW:
        raise InvalidInput("Search at most 31 days at a time.")
    return start, end


def _slots(intervals: list[tuple[Any, Any]]) -> list[Slot]:
    zone = service.local_zone()
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
    rooms, total = rooms_service.search_rooms(session, viewer, filters)
    while len(rooms) < total:  # the catalogue pages by 500; a campus may have more rooms
        more, _ = rooms_service.search_rooms(session, viewer, filters.model_copy(update={"offset": len(rooms)}))
        if not more:
            break
        rooms += more
    zone = service.local_zone()
    if rrule:
        return _recurring_availability(session, rooms, start, end, rrule, only_free)
    free = availability.free_epoch_slots(session, rooms, *window, zone, min_length=timedelta(minutes=min_free_minutes))
    buildings = {b.id: b.code for b in session.exec(select(Building))}
    # Many rooms share slot boundaries (opening times): format each instant once.
    iso: dict[int, str] = {}

    def local_iso(seconds: int) -> str:
        text = iso.get(seconds)
        if text is None:
            text = iso[seconds] = datetime.fromtimestamp(seconds, zone).isoformat()
        return text

    items = [
        {
            "room": _room_summary(room, buildings),
            "free": [{"start": local_iso(lo), "end": local_iso(hi)} for lo, hi in free[room.id]],  # type: ignore[index]
        }
        for room in rooms
        if not only_free or free[room.id]  # type: ignore[index]
    ]
    # Built as plain JSON (the shape is AvailabilityList): a week of every room is thousands of
    # slots, and validating each as a model would cost more than computing them.
    return Response(json.dumps({"items": items}, ensure_ascii=False), media_type="application/json")


def _room_summary(room: Room, buildings: dict[int | None, str]) -> dict[str, Any]:
    return {
        "id": room.id,
        "code": room.code,
        "name_ko": room.name_ko,
        "name_en": room.name_en,
        "kind": room.kind,
        "capacity": room.capacity,
        "building": buildings[room.building_id],
        "status": room.status,
        "bookable_external": room.bookable_external,
        "parent_id": room.parent_id,
    }


def _recurring_availability(
    session: Session, rooms: list[Room], start: datetime, end: datetime, rule: str, only_free: bool
) -> Response:
    zone = service.local_zone()
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
    free = availability.free_slots_many(session, [room], *window, service.local_zone())
    return RoomAvailability(
        room=rooms_service.to_public(session, [room])[0],
        free=_slots(free[room.id]),  # type: ignore[index]
    )


@router.post(
    "/bookings",
    response_model=BookingPublic,
    status_code=201,
    responses=error_responses(BookingConflict, BookingRuleViolation, RoomNotFound, NotAuthenticated),
)
def create_booking(body: BookingCreate, session: DbSession, user: CurrentUser) -> BookingPublic:
    """Hold or request a room; 409 with `alternatives` when the slot is taken."""
    return booking_public(service.request_booking(session, user, body))


@router.post("/quote", responses=error_responses(RoomNotFound, NotAuthenticated))
def quote(body: QuoteRequest, session: DbSession, user: CurrentUser) -> dict[str, Any]:
    """The price a booking would have now, without booking."""
    room = rooms_service.get_room(session, body.room_id, user)
    org = session.get(Organization, user.organization_id) if user.organization_id else None
    zone = service.local_zone()
    start, end = body.start.astimezone(UTC), body.end.astimezone(UTC)
    if end <= start:
        raise InvalidInput("The end must be after the start.")
    return pricing.compute_quote(
        session,
        room,
        org,
        start,
        end,
        zone,
        equipment=body.equipment,
        is_holiday=rules.holiday_name(session, start.astimezone(zone).date()) is not None,
    )


@router.get("/bookings", response_model=BookingList, responses=error_responses(NotAuthenticated))
def list_bookings(
    session: DbSession,
    user: CurrentUser,
    status: Annotated[list[str] | None, Query()] = None,
    room_id: int | None = None,
    start: AwareDatetime | None = None,
    end: AwareDatetime | None = None,
    organization_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> BookingList:
    """Staff see every booking; a renter sees only their organisation's."""
    rows, total = service.list_bookings(
        session,
        user,
        status=status,
        room_id=room_id,
        start=start,
        end=end,
        organization_id=organization_id,
        limit=limit,
        offset=offset,
    )
    return BookingList(items=[booking_public(b) for b in rows], total=total)


@router.get(
    "/bookings/{booking_id}",
    response_model=BookingPublic,
    responses=error_responses(BookingNotFound),
)
def read_booking(booking_id: ObjectId, session: DbSession, user: CurrentUser) -> BookingPublic:
    return booking_public(service.get_booking(session, user, booking_id))


_LIFECYCLE_ERRORS = error_responses(BookingNotFound, InvalidTransition, Forbidden, NotAuthenticated)


@router.post("/bookings/{booking_id}/submit", response_model=BookingPublic, responses=_LIFECYCLE_ERRORS)
def submit_booking(booking_id: ObjectId, session: DbSession, user: CurrentUser) -> BookingPublic:
    return booking_public(service.submit_hold(session, user, booking_id))


@router.post("/bookings/{booking_id}/approve", response_model=BookingPublic, responses=_LIFECYCLE_ERRORS)
def approve_booking(booking_id: ObjectId, session: DbSession, user: CurrentUser) -> BookingPublic:
    return booking_public(service.approve_booking(session, user, booking_id))


@router.post("/bookings/{booking_id}/reject", response_model=BookingPublic, responses=_LIFECYCLE_ERRORS)
def reject_booking(booking_id: ObjectId, body: Reason, session: DbSession, user: CurrentUser) -> BookingPublic:
    return booking_public(service.reject_booking(session, user, booking_id, body.reason))


@router.post("/bookings/{booking_id}/cancel", response_model=BookingPublic, responses=_LIFECYCLE_ERRORS)
def cancel_booking(
    booking_id: ObjectId,
    session: DbSession,
    user: CurrentUser,
    body: Reason | None = None,
    scope: series.Scope = series.Scope.one,
) -> BookingPublic:
    """Cancel; for an occurrence of a series, `scope` = one, following or all."""
    series.cancel(session, user, booking_id, scope, (body or Reason()).reason)
    return booking_public(service.get_booking(session, user, booking_id))


@router.post("/bookings/{booking_id}/check-in", response_model=BookingPublic, responses=_LIFECYCLE_ERRORS)
def check_in_booking(booking_id: ObjectId, session: DbSession, user: CurrentUser) -> BookingPublic:
    return booking_public(service.check_in(session, user, booking_id))


@router.post("/bookings/{booking_id}/confirm", response_model=BookingPublic, responses=_LIFECYCLE_ERRORS)
def confirm_booking(booking_id: ObjectId, session: DbSession, user: CurrentUser) -> BookingPublic:
    service.get_booking(session, user, booking_id)
    return booking_public(service.confirm_booking(session, user, booking_id))


@router.post(
    "/bookings/{booking_id}/move",
    response_model=BookingPublic,
    responses=error_responses(BookingNotFound, BookingConflict, BookingRuleViolation, InvalidTransition),
)
def move_booking(
    booking_id: ObjectId,
    body: BookingMove,
    session: DbSession,
    user: CurrentUser,
    scope: series.Scope = series.Scope.one,
) -> BookingPublic:
    """Move a booking; for a series, `scope` following or all applies the new times of day."""
    if scope == series.Scope.one:
        return booking_public(service.move_booking(session, user, booking_id, body.start, body.end))
    zone = service.local_zone()
    series.move(
        session,
        user,
        booking_id,
        scope,
        start_time=body.start.astimezone(zone).time(),
        end_time=body.end.astimezone(zone).time(),
    )
    return booking_public(service.get_booking(session, user, booking_id))


# --- series ---------------------------------------------------------------------------------


@router.post(
    "/series",
    status_code=201,
    responses=error_responses(BookingConflict, BookingRuleViolation, RoomNotFound, InvalidInput),
)
def create_series(body: SeriesCreate, response: Response, session: DbSession, user: CurrentUser) -> dict[str, Any]:
    """A recurring request; `preview` returns the per-occurrence report and books nothing."""
    if body.preview:
        response.status_code = 200
        return {"occurrences": series.conflict_report(session, user, body)}
    created, bookings, report = series.create_series(session, user, body)
    return {
        "series": created.model_dump(),
        "bookings": [booking_public(b) for b in bookings],
        "occurrences": report,
    }


@router.get("/series/{series_id}", responses=error_responses(NotFound))
def read_series(series_id: ObjectId, session: DbSession, user: CurrentUser) -> dict[str, Any]:
    found, bookings = series.get_series(session, user, series_id)
    return {"series": found.model_dump(), "bookings": [booking_public(b) for b in bookings]}


# --- blocks ---------------------------------------------------------------------------------


@router.get("/blocks", response_model=list[BlockPublic], responses=error_responses(Forbidden))
def list_blocks(
    session: DbSession,
    user: CurrentUser,
    room_id: int | None = None,
    start: AwareDatetime | None = None,
    end: AwareDatetime | None = None,
) -> list[BlockPublic]:
    ensure_role(user, "crew", *MANAGING_ROLES)
    rows = service.list_blocks(session, room_ids=[room_id] if room_id else None, start=start, end=end)
    return [block_public(b) for b in rows]


@router.post(
    "/blocks",
    response_model=BlockPlaced,
    status_code=201,
    responses=error_responses(BookingConflict, Forbidden, RoomNotFound, InvalidInput),
)
def create_block(body: BlockCreate, session: DbSession, user: CurrentUser) -> BlockPlaced:
    """A manager's blackout (training course, closure) or maintenance block."""
    block, displaced = service.place_block(
        session,
        user,
        room_id=body.room_id,
        starts_at=body.start,
        ends_at=body.end,
        reason=body.reason,
        kind=body.kind,
        source_ref=body.source_ref,
    )
    return BlockPlaced(block=block_public(block), displaced=[booking_public(b) for b in displaced])


@router.delete("/blocks/{block_id}", status_code=204, responses=error_responses(BlockNotFound, Forbidden))
def delete_block(block_id: ObjectId, session: DbSession, user: CurrentUser) -> Response:
    service.remove_block(session, user, block_id)
    return Response(status_code=204)


# The invoice, waitlist and calendar endpoints live beside this module, under the same prefix.
router.include_router(invoice_api.router)
router.include_router(calendar_api.router)
