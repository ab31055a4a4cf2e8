"""The request form of a room: the live price, a single request, a recurring one (preview, then
submit) and joining the waitlist. Every post reads the same form through `BookingForm`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from facility.booking import pricing, purposes, room_panel, series, service, waitlist
from facility.booking.exceptions import BookingConflict
from facility.booking.pages.dates import local_range, local_time, parse_day, today
from facility.booking.runner import run_booking_request
from facility.booking.schemas import BookingCreate, SeriesCreate
from facility.core import accounts
from facility.core.auth import CurrentUser, DbSession, OptionalUser, ensure_role, resolve_user
from facility.core.db import session_scope
from facility.core.errors import FacilityError, NotAuthenticated
from facility.core.i18n import gettext as _
from facility.core.models import Organization, User
from facility.core.web import flash, form_savepoint, redirect, render
from facility.rooms import service as rooms_service
from facility.rooms.models import Room

router = APIRouter(include_in_schema=False)
# The field beside which a rule's refusal is shown (its code as the rules raise it); others go on top.
ERROR_FIELDS = {
    "lead_time": "day",
    "holiday": "day",
    "outside_hours": "start",
    "over_capacity": "attendees",
    "quota_exceeded": "day",
}
REPEATS = {
    "weekly": "FREQ=WEEKLY",
    "biweekly": "FREQ=WEEKLY;INTERVAL=2",
    "monthly": "FREQ=MONTHLY",
}


@dataclass
class BookingForm:
    """The fields of `booking/request.html`, under the names it posts; a dependency of every post."""

    day: Annotated[str, Form()]
    start: Annotated[str, Form()]
    end: Annotated[str, Form()]
    title: Annotated[str, Form(max_length=200)] = ""
    attendees: Annotated[str, Form()] = ""
    notes: Annotated[str, Form(max_length=2000)] = ""
    equipment: Annotated[list[str] | None, Form()] = None
    purpose: Annotated[str, Form(max_length=30)] = "general"

    def __post_init__(self) -> None:
        # A form with no box ticked posts no `equipment` at all; the template tests `in form.equipment`.
        self.equipment = self.equipment or []

    def missing_event(self) -> dict[str, str]:
        """Submitting needs a title and a head count (the price and the previews do not): the
        message for each one left empty, shown beside its field."""
        texts = {"title": _("Enter the event's title."), "attendees": _("Enter how many people come.")}
        return {name: text for name, text in texts.items() if not getattr(self, name).strip()}


@dataclass
class SeriesForm(BookingForm):
    """The same form with its recurring-request fields, for the series posts."""

    repeat: Annotated[str, Form()] = "weekly"
    count: Annotated[int, Form()] = 4
    skip_conflicts: Annotated[bool, Form()] = False


PostedForm = Annotated[BookingForm, Depends()]
PostedSeries = Annotated[SeriesForm, Depends()]


def _form_context(
    request: Request, session: Session, room: Room, user: User | None, form: BookingForm
) -> dict[str, Any]:
    fees = pricing.schedule_for(session, room)
    return {
        "room": rooms_service.to_public(session, [room])[0],
        "form": asdict(form),
        "quote": _quote(request, session, room, user, form),
        "fees": fees,
        # Only what this room has: a seminar room does not offer the hall's stage lights.
        "offered": room_panel.offered_equipment(session, room),
        "error": None,
        "errors": {},
        "alternatives": [],
        "report": None,
        "waiting_org": accounts.unapproved_organization(session, user),
        "cancellation": pricing.refund_rows(fees.refund_table if fees else None),
        "purposes": purposes.ALL,
    }


def _quote(
    request: Request, session: Session, room: Room, user: User | None, form: BookingForm
) -> dict[str, Any] | None:
    """The quote a request of this form would store (`service.price_request`), None until the
    times make sense."""
    try:
        day = date.fromisoformat(form.day)
        start, end = local_time(request, day, form.start), local_time(request, day, form.end)
    except ValueError:
        return None
    if end <= start:
        return None
    org = session.get(Organization, user.organization_id) if user and user.organization_id else None
    equipment = {code: 1 for code in form.equipment or []}
    purpose = form.purpose if form.purpose in purposes.ALLOWED else "general"
    return service.price_request(
        session, room, org, start.astimezone(UTC), end.astimezone(UTC), equipment, purpose=purpose
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
    form = BookingForm(day=parse_day(day, today(request) + timedelta(days=7)).isoformat(), start=start, end=end)
    return render(request, "booking/request.html", _form_context(request, session, room, viewer, form))


@router.post("/book/rooms/{room_id}/quote")
def live_quote(request: Request, room_id: int, session: DbSession, viewer: OptionalUser, form: PostedForm) -> Response:
    room = rooms_service.get_room(session, room_id, viewer)
    context = _form_context(request, session, room, viewer, form)
    return render(request, "booking/request.html", context, block="price")


def _request_body(request: Request, room_id: int, form: BookingForm) -> BookingCreate:
    """The form as the API's request body; ValueError for dates, times or counts that are not."""
    local_day = date.fromisoformat(form.day)
    return BookingCreate(
        room_id=room_id,
        start=local_time(request, local_day, form.start),
        end=local_time(request, local_day, form.end),
        title=form.title,
        attendees=int(form.attendees) if form.attendees.strip().isdigit() else 0,
        notes=form.notes,
        equipment={code: 1 for code in form.equipment or []},
        purpose=form.purpose,
    )


@router.post("/book/rooms/{room_id}/new")
async def submit_request(request: Request, room_id: int, form: PostedForm) -> Response:
    """Send the request through the API's runner (booking/runner.py): one unit of work, one
    price; the form is built again only to show a refusal."""
    if missing := form.missing_event():
        return await _refused(request, room_id, form, 422, errors=missing)
    try:
        booking, _user = await run_booking_request(request, _request_body(request, room_id, form))
    except NotAuthenticated:
        raise
    except BookingConflict as error:
        alternatives = error.extra.get("alternatives", [])
        return await _refused(request, room_id, form, 409, error.message, {"start": error.message}, alternatives)
    except (FacilityError, ValueError) as error:
        message = error.message if isinstance(error, FacilityError) else _("Check the date and times.")
        field = ERROR_FIELDS.get(error.code, "") if isinstance(error, FacilityError) else "day"
        # The refusal's own status: a role the service refuses is 403 here as in the API.
        status = error.status_code if isinstance(error, FacilityError) else 422
        return await _refused(request, room_id, form, status, message, {field: message})
    return redirect(request, f"/my/bookings/{booking.id}?created=1")


async def _refused(
    request: Request,
    room_id: int,
    form: BookingForm,
    status: int,
    error: str | None = None,
    errors: dict[str, str] | None = None,
    alternatives: list[Any] | None = None,
) -> Response:
    """The form again with the refusal, read in a unit of work of its own (the request's rolled
    back); an anonymous visitor is sent to sign in first."""

    def build() -> Response:
        with session_scope(request.app.state.engine, write=False) as session:
            user = ensure_role(resolve_user(request, session))
            room = rooms_service.get_room(session, room_id, user)
            context = _form_context(request, session, room, user, form)
            context.update(error=error, errors=errors or {}, alternatives=alternatives or [])
            return render(request, "booking/request.html", context, status_code=status)

    return await run_in_threadpool(build)


def _series_body(request: Request, room_id: int, form: SeriesForm) -> SeriesCreate:
    first_start, first_end = local_range(request, form.day, form.start, form.end)
    return SeriesCreate(
        room_id=room_id,
        start=first_start,
        end=first_end,
        rrule=f"{REPEATS.get(form.repeat, REPEATS['weekly'])};COUNT={max(2, min(form.count, 52))}",
        title=form.title.strip() or "정기 대관",
        attendees=int(form.attendees) if form.attendees.isdigit() else 1,
        skip_conflicts=form.skip_conflicts,
    )


@router.post("/book/rooms/{room_id}/series/preview")
def series_preview(
    request: Request, room_id: int, session: DbSession, user: CurrentUser, form: PostedSeries
) -> Response:
    """The per-occurrence report, before the renter submits a recurring request."""
    room = rooms_service.get_room(session, room_id, user)
    body = _series_body(request, room_id, form)
    context = _form_context(request, session, room, user, form)
    context["report"] = series.conflict_report(session, user, body)
    return render(request, "booking/request.html", context, block="series_report")


@router.post("/book/rooms/{room_id}/series")
def series_submit(
    request: Request, room_id: int, session: DbSession, user: CurrentUser, form: PostedSeries
) -> Response:
    room = rooms_service.get_room(session, room_id, user)
    if missing := form.missing_event():
        context = _form_context(request, session, room, user, form)
        context.update(errors=missing, report=None)
        return render(request, "booking/request.html", context, status_code=422)
    body = _series_body(request, room_id, form)
    try:
        with form_savepoint(session):
            series.create_series(session, user, body)
    except FacilityError as error:
        # A series books no equipment and keeps no notes: the form shows it without them.
        shown = replace(form, notes="", equipment=[])
        context = _form_context(request, session, room, user, shown)
        context.update(error=error.message, errors={"": error.message}, report=error.extra.get("occurrences"))
        return render(request, "booking/request.html", context, status_code=error.status_code)
    flash(request, _("Recurring request sent; a manager will decide on it."))
    return redirect(request, "/my/bookings")


@router.post("/book/rooms/{room_id}/waitlist")
def join_waitlist(request: Request, room_id: int, session: DbSession, user: CurrentUser, form: PostedForm) -> Response:
    starts_at, ends_at = local_range(request, form.day, form.start, form.end)
    waitlist.join_waitlist(
        session,
        user,
        room_id=room_id,
        starts_at=starts_at,
        ends_at=ends_at,
        title=form.title or "대기 신청",
        attendees=int(form.attendees) if form.attendees.isdigit() else 1,
    )
    return redirect(request, "/my/bookings?waitlisted=1")
