"""Renter pages: search, a room's week, the request form with a live price, my bookings,
invoices (printable), and the QR check-in page. The manager console lives in `console`."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from facility.booking import (
    availability,
    grid,
    invoices,
    pricing,
    rules,
    series,
    service,
    texts,
    waitlist,
)
from facility.booking.calendar_api import org_feed_token
from facility.booking.console import router as console_router
from facility.booking.exceptions import BookingConflict
from facility.booking.models import Booking, Invoice
from facility.booking.schemas import SeriesCreate
from facility.core.auth import CurrentUser, DbSession, OptionalUser
from facility.core.errors import FacilityError, InvalidInput, NotFound
from facility.core.models import Organization, User
from facility.core.security import unsign_value
from facility.core.web import redirect, render
from facility.rooms import service as rooms_service
from facility.rooms.kinds import RoomKind
from facility.rooms.models import Room
from facility.rooms.schemas import RoomFilters

del texts  # registers the pages' text and navigation
router = APIRouter(include_in_schema=False)
router.include_router(console_router)
CHECKIN_SALT = "room-checkin"


def parse_day(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default


def today(request: Request) -> date:
    return datetime.now(request.app.state.settings.zone).date()


def _local(request: Request, day: date, at: str) -> datetime:
    """A local wall-clock time from a form's HH:MM (ValueError when it is not one)."""
    hour, minute = (int(p) for p in at.split(":", 1))
    return datetime.combine(day, time(hour, minute), tzinfo=request.app.state.settings.zone)


def local_range(request: Request, day: str, start: str, end: str) -> tuple[datetime, datetime]:
    """Start and end from a form's day and times, or a 422 saying what is wrong."""
    try:
        local_day = date.fromisoformat(day)
        return _local(request, local_day, start), _local(request, local_day, end)
    except ValueError:
        raise InvalidInput("Enter the day as YYYY-MM-DD and the times as HH:MM.") from None


@router.get("/book")
def search_page(
    request: Request,
    session: DbSession,
    viewer: OptionalUser,
    day: str = "",
    min_capacity: str = "",
    kind: str = "",
    building: str = "",
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
    context = {
        "day": chosen,
        "results": results,
        "filters": filters,
        "kinds": list(RoomKind),
        "buildings": rooms_service.list_buildings(session, viewer),
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
        raise NotFound("No such building.")
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


def _form_context(
    request: Request, session: Session, room: Room, user: User | None, form: dict[str, Any]
) -> dict[str, Any]:
    return {
        "room": rooms_service.to_public(session, [room])[0],
        "form": form,
        "quote": _quote(request, session, room, user, form),
        "fees": pricing.schedule_for(session, room),
        "error": None,
        "alternatives": [],
        "report": None,
    }


def _quote(
    request: Request, session: Session, room: Room, user: User | None, form: dict[str, Any]
) -> dict[str, Any] | None:
    try:
        day = date.fromisoformat(form["day"])
        start, end = _local(request, day, form["start"]), _local(request, day, form["end"])
    except (KeyError, ValueError):
        return None
    if end <= start:
        return None
    org = session.get(Organization, user.organization_id) if user and user.organization_id else None
    zone = request.app.state.settings.zone
    equipment = {code: 1 for code in form.get("equipment", [])}
    return pricing.compute_quote(
        session,
        room,
        org,
        start.astimezone(UTC),
        end.astimezone(UTC),
        zone,
        equipment=equipment,
        is_holiday=rules.holiday_name(session, day) is not None,
    )


@router.get("/book/rooms/{room_id}/new")
def request_form(
    request: Request,
    room_id: int,
    session: DbSession,
    viewer: OptionalUser,
    day: str = "",
    start: str = "10:00",
    end: str = "12:00",
) -> Response:
    room = rooms_service.get_room(session, room_id, viewer)
    form = {
        "day": parse_day(day, today(request) + timedelta(days=7)).isoformat(),
        "start": start,
        "end": end,
        "title": "",
        "attendees": "",
        "notes": "",
        "equipment": [],
    }
    return render(request, "booking/request.html", _form_context(request, session, room, viewer, form))


@router.post("/book/rooms/{room_id}/quote")
def live_quote(
    request: Request,
    room_id: int,
    session: DbSession,
    viewer: OptionalUser,
    day: Annotated[str, Form()],
    start: Annotated[str, Form()],
    end: Annotated[str, Form()],
    equipment: Annotated[list[str] | None, Form()] = None,
) -> Response:
    room = rooms_service.get_room(session, room_id, viewer)
    form = {"day": day, "start": start, "end": end, "equipment": equipment or []}
    context = _form_context(request, session, room, viewer, form)
    return render(request, "booking/request.html", context, block="price")


@router.post("/book/rooms/{room_id}/new")
def submit_request(
    request: Request,
    room_id: int,
    session: DbSession,
    user: CurrentUser,
    day: Annotated[str, Form()],
    start: Annotated[str, Form()],
    end: Annotated[str, Form()],
    title: Annotated[str, Form(max_length=200)],
    attendees: Annotated[str, Form()],
    notes: Annotated[str, Form(max_length=2000)] = "",
    equipment: Annotated[list[str] | None, Form()] = None,
) -> Response:
    room = rooms_service.get_room(session, room_id, user)
    form = {
        "day": day,
        "start": start,
        "end": end,
        "title": title,
        "attendees": attendees,
        "notes": notes,
        "equipment": equipment or [],
    }
    context = _form_context(request, session, room, user, form)
    try:
        local_day = date.fromisoformat(day)
        booking = service.request_booking(
            session,
            user,
            {
                "room_id": room_id,
                "start": _local(request, local_day, start),
                "end": _local(request, local_day, end),
                "title": title,
                "attendees": int(attendees) if attendees.strip().isdigit() else 0,
                "notes": notes,
                "equipment": {code: 1 for code in equipment or []},
            },
        )
    except BookingConflict as error:
        session.rollback()
        context.update(error=error.message, alternatives=error.extra.get("alternatives", []))
        return render(request, "booking/request.html", context, status_code=409)
    except (FacilityError, ValueError) as error:
        session.rollback()
        message = error.message if isinstance(error, FacilityError) else "Check the date and times."
        context.update(error=message)
        return render(request, "booking/request.html", context, status_code=422)
    return redirect(request, f"/my/bookings/{booking.id}?created=1")


REPEATS = {
    "weekly": "FREQ=WEEKLY",
    "biweekly": "FREQ=WEEKLY;INTERVAL=2",
    "monthly": "FREQ=MONTHLY",
}


def _series_body(
    request: Request,
    room_id: int,
    day: str,
    start: str,
    end: str,
    title: str,
    attendees: str,
    repeat: str,
    count: int,
    skip_conflicts: bool = False,
    preview: bool = False,
) -> SeriesCreate:
    first_start, first_end = local_range(request, day, start, end)
    return SeriesCreate(
        room_id=room_id,
        start=first_start,
        end=first_end,
        rrule=f"{REPEATS.get(repeat, REPEATS['weekly'])};COUNT={max(2, min(count, 52))}",
        title=title.strip() or "정기 대관",
        attendees=int(attendees) if attendees.isdigit() else 1,
        skip_conflicts=skip_conflicts,
        preview=preview,
    )


@router.post("/book/rooms/{room_id}/series/preview")
def series_preview(
    request: Request,
    room_id: int,
    session: DbSession,
    user: CurrentUser,
    day: Annotated[str, Form()],
    start: Annotated[str, Form()],
    end: Annotated[str, Form()],
    repeat: Annotated[str, Form()] = "weekly",
    count: Annotated[int, Form()] = 4,
    title: Annotated[str, Form(max_length=200)] = "",
    attendees: Annotated[str, Form()] = "1",
) -> Response:
    """The per-occurrence report, before the renter submits a recurring request."""
    room = rooms_service.get_room(session, room_id, user)
    body = _series_body(request, room_id, day, start, end, title, attendees, repeat, count)
    context = _form_context(request, session, room, user, {"day": day, "start": start, "end": end})
    context["report"] = series.conflict_report(session, user, body)
    return render(request, "booking/request.html", context, block="series_report")


@router.post("/book/rooms/{room_id}/series")
def series_submit(
    request: Request,
    room_id: int,
    session: DbSession,
    user: CurrentUser,
    day: Annotated[str, Form()],
    start: Annotated[str, Form()],
    end: Annotated[str, Form()],
    title: Annotated[str, Form(max_length=200)],
    attendees: Annotated[str, Form()],
    repeat: Annotated[str, Form()] = "weekly",
    count: Annotated[int, Form()] = 4,
    skip_conflicts: Annotated[bool, Form()] = False,
) -> Response:
    room = rooms_service.get_room(session, room_id, user)
    body = _series_body(
        request,
        room_id,
        day,
        start,
        end,
        title,
        attendees,
        repeat,
        count,
        skip_conflicts=skip_conflicts,
    )
    try:
        series.create_series(session, user, body)
    except FacilityError as error:
        session.rollback()
        form = {
            "day": day,
            "start": start,
            "end": end,
            "title": title,
            "attendees": attendees,
            "notes": "",
            "equipment": [],
            "repeat": repeat,
            "count": count,
        }
        context = _form_context(request, session, room, user, form)
        context.update(error=error.message, report=error.extra.get("occurrences"))
        return render(request, "booking/request.html", context, status_code=error.status_code)
    return redirect(request, "/my/bookings")


@router.post("/book/rooms/{room_id}/waitlist")
def join_waitlist(
    request: Request,
    room_id: int,
    session: DbSession,
    user: CurrentUser,
    day: Annotated[str, Form()],
    start: Annotated[str, Form()],
    end: Annotated[str, Form()],
    title: Annotated[str, Form(max_length=200)] = "",
    attendees: Annotated[str, Form()] = "1",
) -> Response:
    starts_at, ends_at = local_range(request, day, start, end)
    waitlist.join_waitlist(
        session,
        user,
        room_id=room_id,
        starts_at=starts_at,
        ends_at=ends_at,
        title=title or "대기 신청",
        attendees=int(attendees) if attendees.isdigit() else 1,
    )
    return redirect(request, "/my/bookings?waitlisted=1")


@router.get("/my/bookings")
def my_bookings(request: Request, session: DbSession, user: CurrentUser) -> Response:
    rows, _total = service.list_bookings(session, user, limit=500)
    rooms = {r.id: r for r in rooms_service.visible_rooms(session, user, list({b.room_id for b in rows}))}
    feed = None
    if user.organization_id:
        feed = (
            f"/api/v1/organizations/{user.organization_id}/calendar.ics"
            f"?token={org_feed_token(request.app.state.secret_key, user.organization_id)}"
        )
    context = {
        "bookings": sorted(rows, key=lambda b: b.starts_at, reverse=True),
        "rooms": rooms,
        "feed": feed,
        "waitlist": waitlist.list_entries(session, user),
        "invoices": invoices.list_invoices(session, user),
    }
    return render(request, "booking/my_bookings.html", context)


@router.get("/my/bookings/{booking_id}")
def booking_detail(request: Request, booking_id: int, session: DbSession, user: CurrentUser) -> Response:
    booking = service.get_booking(session, user, booking_id)
    return render(request, "booking/detail.html", _detail_context(session, user, booking))


def _detail_context(session: Session, user: User, booking: Booking) -> dict[str, Any]:
    room = session.get(Room, booking.room_id)
    return {
        "booking": booking,
        "room": room,
        "invoices": invoices.list_invoices(session, user, booking_id=booking.id),
        "org": session.get(Organization, booking.organization_id) if booking.organization_id else None,
    }


@router.post("/my/bookings/{booking_id}/cancel")
def cancel(
    request: Request,
    booking_id: int,
    session: DbSession,
    user: CurrentUser,
    reason: Annotated[str, Form(max_length=500)] = "",
    scope: Annotated[series.Scope, Form()] = series.Scope.one,
) -> Response:
    """Cancel a booking; for an occurrence of a series, this one, the following, or all."""
    series.cancel(session, user, booking_id, scope, reason)
    return redirect(request, f"/my/bookings/{booking_id}")


@router.post("/my/bookings/{booking_id}/submit")
def submit_hold(request: Request, booking_id: int, session: DbSession, user: CurrentUser) -> Response:
    service.submit_hold(session, user, booking_id)
    return redirect(request, f"/my/bookings/{booking_id}")


@router.get("/invoices/{invoice_id}")
def invoice_page(request: Request, invoice_id: int, session: DbSession, user: CurrentUser) -> Response:
    invoice: Invoice = invoices.get_invoice(session, user, invoice_id)
    booking = session.get(Booking, invoice.booking_id)
    context = {
        "invoice": invoice,
        "booking": booking,
        "room": session.get(Room, booking.room_id) if booking else None,
        "org": session.get(Organization, invoice.organization_id) if invoice.organization_id else None,
    }
    return render(request, "booking/invoice.html", context)


# --- QR check-in ------------------------------------------------------------------------------


def _checkin_room(request: Request, session: Session, room_id: int, token: str) -> Room:
    if unsign_value(request.app.state.secret_key, CHECKIN_SALT, token) != str(room_id):
        raise NotFound("This check-in code is not valid.")
    room = session.get(Room, room_id)
    if room is None:
        raise NotFound("This check-in code is not valid.")
    return room


def _todays(request: Request, session: Session, user: User, room: Room) -> list[Booking]:
    zone = request.app.state.settings.zone
    start = datetime.combine(today(request), time(0), tzinfo=zone).astimezone(UTC)
    found = service.bookings_between(session, start, start + timedelta(days=1), room_ids=[room.id])  # type: ignore[list-item]
    return [b for b in found if user.is_staff or b.organization_id == user.organization_id]


@router.get("/checkin/{room_id}")
def checkin_page(request: Request, room_id: int, token: str, session: DbSession, user: CurrentUser) -> Response:
    room = _checkin_room(request, session, room_id, token)
    context = {
        "room": room,
        "token": token,
        "bookings": _todays(request, session, user, room),
        "done": None,
    }
    return render(request, "booking/checkin.html", context)


@router.post("/checkin/{room_id}")
def checkin(
    request: Request,
    room_id: int,
    session: DbSession,
    user: CurrentUser,
    token: Annotated[str, Form()],
    booking_id: Annotated[int, Form()],
) -> Response:
    room = _checkin_room(request, session, room_id, token)
    booking = service.check_in(session, user, booking_id)
    if booking.room_id != room.id:
        raise NotFound("This booking is not in this room.")
    context = {
        "room": room,
        "token": token,
        "bookings": _todays(request, session, user, room),
        "done": booking,
    }
    return render(request, "booking/checkin.html", context)
