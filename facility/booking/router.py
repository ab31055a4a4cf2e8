"""JSON API of the booking domain."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import AwareDatetime

from facility.booking import availability, ical, invoices, pricing, rules, service, waitlist
from facility.booking.exceptions import (
    BlockNotFound,
    BookingConflict,
    BookingNotFound,
    BookingRuleViolation,
    InvalidTransition,
    InvoiceNotFound,
)
from facility.booking.models import Block, Booking, Invoice
from facility.booking.schemas import (
    AvailabilityList,
    BlockCreate,
    BlockPlaced,
    BlockPublic,
    BookingCreate,
    BookingList,
    BookingMove,
    BookingPublic,
    InvoicePublic,
    PaymentCreate,
    QuoteRequest,
    Reason,
    RoomAvailability,
    Slot,
    WaitlistCreate,
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
from facility.core.security import sign_value, unsign_value
from facility.rooms import service as rooms_service
from facility.rooms.exceptions import RoomNotFound
from facility.rooms.models import Room
from facility.rooms.schemas import RoomFilters

router = APIRouter(prefix="/api/v1", tags=["booking"])
# A search window longer than this is refused: the week grid needs a week, reports a month.
MAX_SEARCH_WINDOW = timedelta(days=31)
ROOM_FEED_SALT = "room-calendar"
ORG_FEED_SALT = "org-calendar"


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


@router.get(
    "/availability", response_model=AvailabilityList, responses=error_responses(InvalidInput)
)
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
) -> AvailabilityList:
    """Rooms matching the filters, with their free slots in the window (renters: rentable ones)."""
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
    rooms, _total = rooms_service.search_rooms(session, viewer, filters)
    free = availability.free_slots_many(
        session,
        rooms,
        *window,
        service.local_zone(),
        min_length=timedelta(minutes=min_free_minutes),
    )
    publics = rooms_service.to_public(session, rooms)
    items = [
        RoomAvailability(room=public, free=_slots(free[room.id]))  # type: ignore[index]
        for room, public in zip(rooms, publics, strict=True)
        if not only_free or free[room.id]  # type: ignore[index]
    ]
    return AvailabilityList(items=items)


@router.get(
    "/rooms/{room_id}/availability",
    response_model=RoomAvailability,
    responses=error_responses(RoomNotFound, InvalidInput),
)
def room_availability(
    room_id: int, session: DbSession, viewer: OptionalUser, start: AwareDatetime, end: AwareDatetime
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
    responses=error_responses(
        BookingConflict, BookingRuleViolation, RoomNotFound, NotAuthenticated
    ),
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
def read_booking(booking_id: int, session: DbSession, user: CurrentUser) -> BookingPublic:
    return booking_public(service.get_booking(session, user, booking_id))


_LIFECYCLE_ERRORS = error_responses(BookingNotFound, InvalidTransition, Forbidden, NotAuthenticated)


@router.post(
    "/bookings/{booking_id}/submit", response_model=BookingPublic, responses=_LIFECYCLE_ERRORS
)
def submit_booking(booking_id: int, session: DbSession, user: CurrentUser) -> BookingPublic:
    return booking_public(service.submit_hold(session, user, booking_id))


@router.post(
    "/bookings/{booking_id}/approve", response_model=BookingPublic, responses=_LIFECYCLE_ERRORS
)
def approve_booking(booking_id: int, session: DbSession, user: CurrentUser) -> BookingPublic:
    return booking_public(service.approve_booking(session, user, booking_id))


@router.post(
    "/bookings/{booking_id}/reject", response_model=BookingPublic, responses=_LIFECYCLE_ERRORS
)
def reject_booking(
    booking_id: int, body: Reason, session: DbSession, user: CurrentUser
) -> BookingPublic:
    return booking_public(service.reject_booking(session, user, booking_id, body.reason))


@router.post(
    "/bookings/{booking_id}/cancel", response_model=BookingPublic, responses=_LIFECYCLE_ERRORS
)
def cancel_booking(
    booking_id: int, session: DbSession, user: CurrentUser, body: Reason | None = None
) -> BookingPublic:
    return booking_public(
        service.cancel_booking(session, user, booking_id, (body or Reason()).reason)
    )


@router.post(
    "/bookings/{booking_id}/check-in", response_model=BookingPublic, responses=_LIFECYCLE_ERRORS
)
def check_in_booking(booking_id: int, session: DbSession, user: CurrentUser) -> BookingPublic:
    return booking_public(service.check_in(session, user, booking_id))


@router.post(
    "/bookings/{booking_id}/confirm", response_model=BookingPublic, responses=_LIFECYCLE_ERRORS
)
def confirm_booking(booking_id: int, session: DbSession, user: CurrentUser) -> BookingPublic:
    service.get_booking(session, user, booking_id)
    return booking_public(service.confirm_booking(session, user, booking_id))


@router.post(
    "/bookings/{booking_id}/move",
    response_model=BookingPublic,
    responses=error_responses(
        BookingNotFound, BookingConflict, BookingRuleViolation, InvalidTransition
    ),
)
def move_booking(
    booking_id: int, body: BookingMove, session: DbSession, user: CurrentUser
) -> BookingPublic:
    return booking_public(service.move_booking(session, user, booking_id, body.start, body.end))


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
    rows = service.list_blocks(
        session, room_ids=[room_id] if room_id else None, start=start, end=end
    )
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


@router.delete(
    "/blocks/{block_id}", status_code=204, responses=error_responses(BlockNotFound, Forbidden)
)
def delete_block(block_id: int, session: DbSession, user: CurrentUser) -> Response:
    service.remove_block(session, user, block_id)
    return Response(status_code=204)


# --- invoices -------------------------------------------------------------------------------


def invoice_public(invoice: Invoice) -> InvoicePublic:
    return InvoicePublic.model_validate(invoice, from_attributes=True)


@router.get(
    "/invoices", response_model=list[InvoicePublic], responses=error_responses(NotAuthenticated)
)
def list_invoices(
    session: DbSession, user: CurrentUser, status: str | None = None, booking_id: int | None = None
) -> list[InvoicePublic]:
    return [
        invoice_public(i)
        for i in invoices.list_invoices(session, user, status=status, booking_id=booking_id)
    ]


@router.get(
    "/invoices/{invoice_id}",
    response_model=InvoicePublic,
    responses=error_responses(InvoiceNotFound),
)
def read_invoice(invoice_id: int, session: DbSession, user: CurrentUser) -> InvoicePublic:
    return invoice_public(invoices.get_invoice(session, user, invoice_id))


@router.post(
    "/invoices/{invoice_id}/payments",
    response_model=InvoicePublic,
    status_code=201,
    responses=error_responses(InvoiceNotFound, Forbidden, InvalidInput),
)
def record_payment(
    invoice_id: int, body: PaymentCreate, session: DbSession, user: CurrentUser
) -> InvoicePublic:
    invoices.record_payment(session, user, invoice_id, **body.model_dump())
    return invoice_public(invoices.get_invoice(session, user, invoice_id))


@router.get("/revenue", responses=error_responses(Forbidden))
def revenue(session: DbSession, user: CurrentUser) -> dict[str, int]:
    return invoices.revenue_summary(session, user)


# --- waitlist -------------------------------------------------------------------------------


@router.post("/waitlist", status_code=201, responses=error_responses(Forbidden, InvalidInput))
def join_waitlist(body: WaitlistCreate, session: DbSession, user: CurrentUser) -> dict[str, Any]:
    rooms_service.get_room(session, body.room_id, user)
    entry = waitlist.join_waitlist(
        session,
        user,
        room_id=body.room_id,
        starts_at=body.start,
        ends_at=body.end,
        title=body.title,
        attendees=body.attendees,
    )
    return entry.model_dump()


@router.get("/waitlist", responses=error_responses(NotAuthenticated))
def list_waitlist(session: DbSession, user: CurrentUser) -> list[dict[str, Any]]:
    return [e.model_dump() for e in waitlist.list_entries(session, user)]


@router.delete("/waitlist/{entry_id}", status_code=204, responses=error_responses(NotFound))
def leave_waitlist(entry_id: int, session: DbSession, user: CurrentUser) -> Response:
    waitlist.leave_waitlist(session, user, entry_id)
    return Response(status_code=204)


# --- calendar feeds -------------------------------------------------------------------------


def room_feed_token(secret_key: str, room_id: int) -> str:
    return sign_value(secret_key, ROOM_FEED_SALT, str(room_id))


def org_feed_token(secret_key: str, org_id: int) -> str:
    return sign_value(secret_key, ORG_FEED_SALT, str(org_id))


def _ics(body: bytes) -> Response:
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300"},
    )


@router.get("/rooms/{room_id}/calendar.ics", responses=error_responses(NotFound))
def room_calendar(room_id: int, token: str, request: Request, session: DbSession) -> Response:
    """The room's bookings as an iCalendar feed, behind its secret token."""
    if unsign_value(request.app.state.secret_key, ROOM_FEED_SALT, token) != str(room_id):
        raise NotFound("No such calendar.")
    room = session.get(Room, room_id)
    if room is None:
        raise NotFound("No such calendar.")
    from facility.core.db import utcnow

    now = utcnow()
    rows = service.bookings_between(
        session, now - timedelta(days=90), now + timedelta(days=400), room_ids=[room_id]
    )
    zone = service.local_zone().key
    return _ics(
        ical.calendar_bytes([(b, room) for b in rows], zone, name=f"{room.name_ko} ({room.code})")
    )


@router.get("/organizations/{org_id}/calendar.ics", responses=error_responses(NotFound))
def organization_calendar(
    org_id: int, token: str, request: Request, session: DbSession
) -> Response:
    if unsign_value(request.app.state.secret_key, ORG_FEED_SALT, token) != str(org_id):
        raise NotFound("No such calendar.")
    org = session.get(Organization, org_id)
    if org is None:
        raise NotFound("No such calendar.")
    from sqlmodel import select

    rows = list(
        session.exec(
            select(Booking)
            .where(Booking.organization_id == org_id)
            .order_by(Booking.starts_at)
            .limit(2000)
        )
    )
    rooms = {
        r.id: r for r in rooms_service.visible_rooms(session, None, list({b.room_id for b in rows}))
    }
    zone = service.local_zone().key
    return _ics(ical.calendar_bytes([(b, rooms.get(b.room_id)) for b in rows], zone, name=org.name))


@router.get("/calendar-links", responses=error_responses(NotAuthenticated))
def calendar_links(
    request: Request, session: DbSession, user: CurrentUser, room_id: int | None = None
) -> dict[str, str]:
    """Secret feed URLs: the user's organisation's, and (staff) a room's."""
    secret = request.app.state.secret_key
    links: dict[str, str] = {}
    if user.organization_id:
        links["organization"] = (
            f"/api/v1/organizations/{user.organization_id}/calendar.ics"
            f"?token={org_feed_token(secret, user.organization_id)}"
        )
    if room_id is not None:
        if not user.is_staff:
            raise Forbidden("Room feeds are for staff.")
        links["room"] = (
            f"/api/v1/rooms/{room_id}/calendar.ics?token={room_feed_token(secret, room_id)}"
        )
    return links
