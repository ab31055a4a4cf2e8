"""Bookings over the JSON API: request, price, list and every lifecycle action."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import AwareDatetime

from facility.booking import common, documents, flows, purposes, queries, series, service
from facility.booking.exceptions import (
    BookingConflict,
    BookingNotFound,
    BookingRuleViolation,
    InvalidTransition,
)
from facility.booking.runner import run_booking_request
from facility.booking.schemas import (
    BookingCreate,
    BookingList,
    BookingMove,
    BookingPublic,
    BookingShown,
    QuoteRequest,
    Reason,
    booking_public,
)
from facility.core.auth import CurrentUser, DbSession
from facility.core.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, error_responses
from facility.core.i18n import gettext as _
from facility.core.idempotency import IDEMPOTENCY_HEADER_DOC
from facility.core.models import Organization
from facility.core.params import ObjectId
from facility.rooms import service as rooms_service
from facility.rooms.exceptions import RoomNotFound

router = APIRouter()


@router.post(
    "/bookings",
    response_model=BookingShown,
    status_code=201,
    responses=error_responses(BookingConflict, BookingRuleViolation, RoomNotFound, NotAuthenticated),
    openapi_extra=IDEMPOTENCY_HEADER_DOC,
)
async def create_booking(body: BookingCreate, request: Request) -> BookingPublic:
    """Hold or request a room; 409 with `alternatives` when the slot is taken. (Rush hour's
    endpoint: its unit of work runs in one thread hop, booking/runner.py, as the page's does.)"""
    booking, user = await run_booking_request(request, body)
    return booking_public(booking, user)


@router.post("/quote", responses=error_responses(RoomNotFound, NotAuthenticated))
def quote(body: QuoteRequest, session: DbSession, user: CurrentUser) -> dict[str, Any]:
    """The price a booking would have now, without booking."""
    room = rooms_service.get_room(session, body.room_id, user)
    org = session.get(Organization, user.organization_id) if user.organization_id else None
    start, end = body.start.astimezone(UTC), body.end.astimezone(UTC)
    if end <= start:
        raise InvalidInput(_("The end must be after the start."))
    purposes.check_purpose(body.purpose)
    return service.price_request(session, room, org, start, end, body.equipment, purpose=body.purpose)


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
    rows, total = queries.list_bookings(
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
    return BookingList(items=[booking_public(b, user) for b in rows], total=total)


@router.get(
    "/bookings/{booking_id}",
    response_model=BookingShown,
    responses=error_responses(BookingNotFound),
)
def read_booking(booking_id: ObjectId, session: DbSession, user: CurrentUser) -> BookingPublic:
    return booking_public(queries.get_booking(session, user, booking_id), user)


_LIFECYCLE_ERRORS = error_responses(BookingNotFound, InvalidTransition, Forbidden, NotAuthenticated)


@router.post("/bookings/{booking_id}/submit", response_model=BookingShown, responses=_LIFECYCLE_ERRORS)
def submit_booking(booking_id: ObjectId, session: DbSession, user: CurrentUser) -> BookingPublic:
    return booking_public(flows.submit_hold(session, user, booking_id), user)


@router.post("/bookings/{booking_id}/approve", response_model=BookingShown, responses=_LIFECYCLE_ERRORS)
def approve_booking(booking_id: ObjectId, session: DbSession, user: CurrentUser) -> BookingPublic:
    return booking_public(flows.approve_booking(session, user, booking_id), user)


@router.post("/bookings/{booking_id}/reject", response_model=BookingShown, responses=_LIFECYCLE_ERRORS)
def reject_booking(booking_id: ObjectId, body: Reason, session: DbSession, user: CurrentUser) -> BookingPublic:
    return booking_public(flows.reject_booking(session, user, booking_id, body.reason), user)


@router.post("/bookings/{booking_id}/cancel", response_model=BookingShown, responses=_LIFECYCLE_ERRORS)
def cancel_booking(
    booking_id: ObjectId,
    session: DbSession,
    user: CurrentUser,
    body: Reason | None = None,
    scope: series.Scope = series.Scope.one,
) -> BookingPublic:
    """Cancel; for an occurrence of a series, `scope` = one, following or all."""
    series.cancel(session, user, booking_id, scope, (body or Reason()).reason)
    return booking_public(queries.get_booking(session, user, booking_id), user)


@router.post("/bookings/{booking_id}/check-in", response_model=BookingShown, responses=_LIFECYCLE_ERRORS)
def check_in_booking(booking_id: ObjectId, session: DbSession, user: CurrentUser) -> BookingPublic:
    return booking_public(flows.check_in(session, user, booking_id), user)


@router.post("/bookings/{booking_id}/confirm", response_model=BookingShown, responses=_LIFECYCLE_ERRORS)
def confirm_booking(booking_id: ObjectId, session: DbSession, user: CurrentUser) -> BookingPublic:
    queries.get_booking(session, user, booking_id)
    return booking_public(flows.confirm_booking(session, user, booking_id), user)


@router.post(
    "/bookings/{booking_id}/move",
    response_model=BookingShown,
    responses=error_responses(
        BookingNotFound, BookingConflict, BookingRuleViolation, InvalidTransition, RoomNotFound, InvalidInput, Forbidden
    ),
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
        moved = service.move_booking(session, user, booking_id, body.start, body.end, room_id=body.room_id)
        return booking_public(moved, user)
    if body.room_id is not None:
        raise InvalidInput(_("Only a single occurrence can move to another room."))
    zone = common.local_zone()
    series.move(
        session,
        user,
        booking_id,
        scope,
        start_time=body.start.astimezone(zone).time(),
        end_time=body.end.astimezone(zone).time(),
    )
    return booking_public(queries.get_booking(session, user, booking_id), user)


# The series, block, invoice, waitlist and calendar endpoints live beside this module, under the same prefix.


@router.get(
    "/bookings/{booking_id}/permit.pdf",
    response_class=Response,
    responses={
        **error_responses(BookingNotFound, NotAuthenticated, Conflict, documents.DocumentUnavailable),
        200: {"content": {"application/pdf": {}}, "description": "the use permit (사용허가서)"},
    },
)
def permit_pdf(booking_id: ObjectId, session: DbSession, user: CurrentUser) -> Response:
    """The use permit of an approved booking, in Korean; renters get only their own."""
    number, content = documents.permit_pdf(session, user, booking_id)
    return pdf_response(content, f"permit-{number}.pdf")


def pdf_response(content: bytes, filename: str) -> Response:
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "private, no-store"},
    )
