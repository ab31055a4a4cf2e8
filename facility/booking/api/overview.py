"""Every room's bookings and blocks over a range (`GET /api/v1/calendar`): what the manager's
week and month calendar and the setup sheet show, for other tools to read."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
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
) -> Response:
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
    body = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "rooms": [{name: getattr(room, name) for name in CalendarRoom.model_fields} for room in seen.rooms],
        "entries": [_entry(entry) for entry in seen.entries],
    }
    # Built as plain JSON (the shape is Calendar): a week of 250 rooms is thousands of entries, and
    # validating each as a model cost more than reading them.
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/json")


def _instant(moment: datetime) -> str:
    """As pydantic writes an aware UTC datetime."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _entry(entry: overview.Entry) -> dict[str, Any]:
    fields = dict(entry.__dict__)
    fields["starts_at"], fields["ends_at"] = _instant(entry.starts_at), _instant(entry.ends_at)
    fields["clashes"] = list(entry.clashes)
    return fields
