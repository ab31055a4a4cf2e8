"""The manager's week and month calendar of every room, and the crews' daily setup sheet."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from facility.booking import overview, queries
from facility.booking.pages.dates import parse_day, today
from facility.core.auth import CurrentUser, DbSession, ensure_role
from facility.core.models import STAFF_ROLES
from facility.core.web import render
from facility.rooms.kinds import RoomKind

router = APIRouter(include_in_schema=False)
# A month view shows the weeks that hold the month's days: at most six.
MONTH_WEEKS = 6


def _month_start(day: date) -> date:
    first = day.replace(day=1)
    return first - timedelta(days=first.weekday())


@router.get("/manage/calendar")
def calendar_page(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    view: Literal["week", "month"] = "week",
    start: Annotated[str, Query(max_length=10)] = "",
    building: Annotated[str, Query(max_length=40)] = "",
    kind: Annotated[str, Query(max_length=40)] = "",
    status: Annotated[str, Query(max_length=10)] = "active",
) -> Response:
    """Every room's bookings and blocks by week (rooms x days) or month (days), clashes marked."""
    ensure_role(user, *STAFF_ROLES)
    day = parse_day(start, today(request))
    kind = kind if kind in RoomKind.__members__ else ""
    if view == "month":
        first, days = _month_start(day), 7 * MONTH_WEEKS
        previous, following = (day.replace(day=1) - timedelta(days=1)).replace(day=1), _next_month(day)
    else:
        first, days = day - timedelta(days=day.weekday()), 7
        previous, following = first - timedelta(days=7), first + timedelta(days=7)
    seen = overview.overview(
        session,
        first,
        days,
        request.app.state.settings.zone,
        building_id=overview.building_id_for(session, building),
        kind=kind or None,
        status=status,
    )
    context = {
        "seen": seen,
        "view": view,
        "day": day,
        "month": day.replace(day=1),
        "previous": previous,
        "following": following,
        "buildings": queries.buildings_in_order(session),
        "building": building,
        "kinds": list(RoomKind),
        "kind": kind,
        "status": status,
        "statuses": overview.STATUS_FILTERS,
        "cells": seen.by_room_and_day() if view == "week" else {},
        "by_day": seen.by_day() if view == "month" else {},
        "rooms": {r.id: r for r in seen.rooms},
        "today": today(request),
    }
    return render(request, "booking/manage_calendar.html", context, block="calendar")


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


@router.get("/manage/setup")
def setup_sheet(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    day: Annotated[str, Query(max_length=10)] = "",
    building: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """What each room needs today (times, attendees, layout, equipment, notes), printable."""
    ensure_role(user, *STAFF_ROLES)
    local_day = parse_day(day, today(request))
    buildings = queries.buildings_in_order(session)
    chosen = building or (buildings[0].code if buildings else "")
    seen = overview.overview(
        session,
        local_day,
        1,
        request.app.state.settings.zone,
        building_id=overview.building_id_for(session, chosen),
        status="firm",
    )
    context = {
        "seen": seen,
        "day": local_day,
        "buildings": buildings,
        "building": chosen,
        "rooms": {r.id: r for r in seen.rooms},
        "previous": local_day - timedelta(days=1),
        "following": local_day + timedelta(days=1),
    }
    return render(request, "booking/setup_sheet.html", context, block="sheet")
