"""Every room's bookings and blocks over a range (`GET /api/v1/calendar`): what the manager's
week and month calendar and the setup sheet show, for other tools to read."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from facility.booking import overview
from facility.core.auth import CurrentUser, DbSession, ensure_role
from facility.core.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound, error_responses
from facility.core.i18n import gettext as _
from facility.core.models import STAFF_ROLES

router = APIRouter()  # included by booking.router, which tags it


class CalendarRoom(BaseModel):
    id: int
    code: str
    name_ko: str
    name_en: str
    kind: str
    building_id: int


class Calendar(BaseModel):
    start: date
    end: date
    rooms: list[CalendarRoom]
    # Each entry's `clashes` holds the keys ("booking-12", "block-3") of the entries of its room that overlap it.
    entries: list[overview.Entry]


@router.get(
    "/calendar",
    response_model=Calendar,
    responses=error_responses(NotAuthenticated, Forbidden, InvalidInput, NotFound),
)
def read_calendar(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    start: Annotated[date, Query(alias="from", description="First local day (YYYY-MM-DD)")],
    end: Annotated[date, Query(alias="to", description="Last local day, included")],
    building: Annotated[str, Query(max_length=40, description="A building's code; every building when empty")] = "",
    kind: Annotated[str, Query(max_length=40, description="A room kind; every kind when empty")] = "",
    status: Annotated[str, Query(max_length=10, description="active, pending or firm")] = "active",
) -> Calendar:
    """Staff: rooms and their bookings and blocks, day by day in the campus's zone (at most 62 days)."""
    ensure_role(user, *STAFF_ROLES)
    if end < start:
        raise InvalidInput(_("The last day comes before the first."))
    seen = overview.overview(
        session,
        start,
        (end - start).days + 1,
        request.app.state.settings.zone,
        building_id=overview.building_id_for(session, building),
        kind=kind or None,
        status=status,
    )
    return Calendar(
        start=start,
        end=end,
        rooms=[CalendarRoom.model_validate(room, from_attributes=True) for room in seen.rooms],
        entries=seen.entries,
    )
