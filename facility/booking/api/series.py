"""JSON API of recurring bookings: a series request (or its preview) and reading a series."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from facility.booking import series
from facility.booking.exceptions import BookingConflict, BookingRuleViolation, InvalidTransition
from facility.booking.schemas import Reason, SeriesCreate, booking_public
from facility.core.auth import CurrentUser, DbSession
from facility.core.errors import Forbidden, InvalidInput, NotFound, error_responses
from facility.core.idempotency import IDEMPOTENT
from facility.core.params import ObjectId
from facility.rooms.exceptions import RoomNotFound

# Included by `router`, which gives the /api/v1 prefix and the booking tag.
router = APIRouter()


@router.post(
    "/series",
    status_code=201,
    responses=error_responses(BookingConflict, BookingRuleViolation, RoomNotFound, InvalidInput),
    dependencies=[IDEMPOTENT],
)
def create_series(body: SeriesCreate, response: Response, session: DbSession, user: CurrentUser) -> dict[str, Any]:
    """A recurring request; `preview` returns the per-occurrence report and books nothing."""
    if body.preview:
        response.status_code = 200
        return {"occurrences": series.conflict_report(session, user, body)}
    created, bookings, report = series.create_series(session, user, body)
    return {
        "series": created.model_dump(),
        "bookings": [booking_public(b, user) for b in bookings],
        "occurrences": report,
    }


@router.get("/series/{series_id}", responses=error_responses(NotFound))
def read_series(series_id: ObjectId, session: DbSession, user: CurrentUser) -> dict[str, Any]:
    found, bookings = series.get_series(session, user, series_id)
    return {"series": found.model_dump(), "bookings": [booking_public(b, user) for b in bookings]}


_DECISION_ERRORS = error_responses(Forbidden, NotFound, InvalidTransition, InvalidInput)


@router.post("/series/{series_id}/approve", responses=_DECISION_ERRORS)
def approve_series(series_id: ObjectId, session: DbSession, user: CurrentUser) -> dict[str, Any]:
    """Approve every occurrence still waiting (managers); 409 when none is."""
    decided = series.decide_series(session, user, series_id, approve=True)
    return {"bookings": [booking_public(b, user) for b in decided]}


@router.post("/series/{series_id}/reject", responses=_DECISION_ERRORS)
def reject_series(series_id: ObjectId, body: Reason, session: DbSession, user: CurrentUser) -> dict[str, Any]:
    """Reject every occurrence still waiting, with one reason (managers); 409 when none is."""
    decided = series.decide_series(session, user, series_id, approve=False, reason=body.reason)
    return {"bookings": [booking_public(b, user) for b in decided]}
