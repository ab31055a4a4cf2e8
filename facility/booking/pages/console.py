"""The manager console: approval queue, building day grid, blackouts, invoices and payments,
reports with CSV, and room QR codes (the outbox page is core's)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlmodel import Session

from facility.booking import blocks, flows, grid, invoices, pricing, queries, reconciliation, reports, service
from facility.booking.exceptions import BookingConflict
from facility.booking.models import Block, Booking, BookingStatus, DepositStatus
from facility.booking.pages.checkin import CHECKIN_SALT
from facility.booking.pages.dates import parse_day, today
from facility.core import exports
from facility.core.auth import CurrentUser, DbSession, ensure_role
from facility.core.config import absolute_url
from facility.core.errors import FacilityError, InvalidInput
from facility.core.i18n import gettext as _
from facility.core.i18n import label
from facility.core.models import MANAGING_ROLES, STAFF_ROLES
from facility.core.security import sign_value
from facility.core.web import flash, form_savepoint, redirect, render
from facility.rooms import service as rooms_service

router = APIRouter(include_in_schema=False)


def _zone(request: Request):  # type: ignore[no-untyped-def]
    return request.app.state.settings.zone


@router.get("/manage/bookings")
def queue(request: Request, session: DbSession, user: CurrentUser) -> Response:
    ensure_role(user, *MANAGING_ROLES)
    pending, _total = queries.list_bookings(
        session, user, status=[BookingStatus.requested.value, BookingStatus.held.value], limit=500
    )
    upcoming, _total = queries.list_bookings(
        session,
        user,
        status=[BookingStatus.approved.value, BookingStatus.confirmed.value],
        start=datetime.now(UTC),
        limit=100,
    )
    rooms = queries.rooms_by_id(session)
    orgs = queries.organizations_by_id(session, {b.organization_id for b in pending + upcoming if b.organization_id})
    context = {
        "pending": pending,
        "upcoming": upcoming,
        "rooms": rooms,
        "orgs": orgs,
        "equipment_names": requested_equipment_names(session, pending + upcoming),
    }
    return render(request, "booking/manage_queue.html", context)


def requested_equipment_names(session: Session, bookings: list[Booking]) -> dict[str, tuple[str, str]]:
    """Korean and English names of the equipment these bookings asked for (the manager sets it up)."""
    return pricing.equipment_names(session, sorted({code for b in bookings for code in b.equipment}))


@router.post("/manage/bookings/{booking_id}/decision")
def decide(
    request: Request,
    booking_id: int,
    session: DbSession,
    user: CurrentUser,
    approve: Annotated[bool, Form()],
    reason: Annotated[str, Form(max_length=500)] = "",
    back: Annotated[bool, Form()] = False,
) -> Response:
    if approve:
        booking = flows.approve_booking(session, user, booking_id)
        flash(request, _("Approved: {title}", title=booking.title))
    else:
        booking = flows.reject_booking(session, user, booking_id, reason)
        flash(request, _("Rejected: {title}", title=booking.title))
    if back:
        return redirect(request, f"/manage/bookings/{booking_id}")
    rooms = {booking.room_id: rooms_service.get_room(session, booking.room_id)}
    orgs = queries.organizations_by_id(session, {booking.organization_id} if booking.organization_id else set())
    return render(
        request,
        "booking/manage_queue.html",
        {
            "b": booking,
            "rooms": rooms,
            "orgs": orgs,
            "decided": True,
            "equipment_names": requested_equipment_names(session, [booking]),
        },
        block="queue_row",
    )


@router.post("/manage/bookings/{booking_id}/cancel")
def manager_cancel(
    request: Request,
    booking_id: int,
    session: DbSession,
    user: CurrentUser,
    reason: Annotated[str, Form(max_length=500)],
    back: Annotated[bool, Form()] = False,
) -> Response:
    ensure_role(user, *MANAGING_ROLES)
    booking = flows.cancel_booking(session, user, booking_id, reason)
    flash(request, _("Cancelled: {title}", title=booking.title))
    return redirect(request, f"/manage/bookings/{booking_id}" if back else "/manage/bookings")


@router.post("/manage/bookings/{booking_id}/move")
def manager_move(
    request: Request,
    booking_id: int,
    session: DbSession,
    user: CurrentUser,
    day: Annotated[str, Form()],
    start: Annotated[str, Form()],
    end: Annotated[str, Form()],
    room: Annotated[str, Form(max_length=40)] = "",
    back: Annotated[bool, Form()] = False,
    return_to: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    ensure_role(user, *MANAGING_ROLES)
    zone = _zone(request)
    # Back to the calendar it was moved from (drag or its form); only that page, no open redirect.
    calendar = return_to if _is_calendar(return_to) else ""
    try:
        try:
            local = date.fromisoformat(day)
            starts_at = datetime.combine(local, time.fromisoformat(start), tzinfo=zone)
            ends_at = datetime.combine(local, time.fromisoformat(end), tzinfo=zone)
        except ValueError:
            raise InvalidInput(_("Enter the day as YYYY-MM-DD and the times as HH:MM.")) from None
        # The room by its code (the calendar's room field); empty keeps the booking's room.
        room_id = rooms_service.room_id_for_code(session, room.strip()) if room.strip() else None
        with form_savepoint(session):
            booking = service.move_booking(session, user, booking_id, starts_at, ends_at, room_id=room_id)
    except FacilityError as error:
        if not calendar or error.status_code in (401, 403):
            raise
        # Refused (a clash, a rule): the calendar it came from says why, where the booking still is.
        flash(request, _("Not moved: {reason}", reason=error.message), level="error")
        return redirect(request, calendar)
    flash(request, _("Moved: {title}", title=booking.title))
    if calendar:
        return redirect(request, calendar)
    return redirect(request, f"/manage/bookings/{booking_id}" if back else "/manage/bookings")


def _is_calendar(path: str) -> bool:
    return path.startswith("/manage/calendar?") or path == "/manage/calendar"


@router.get("/manage/grid")
def day_grid(request: Request, session: DbSession, user: CurrentUser, building: str = "", day: str = "") -> Response:
    ensure_role(user, *STAFF_ROLES)
    buildings = queries.buildings_in_order(session)
    chosen = next((b for b in buildings if b.code == building), buildings[0] if buildings else None)
    local_day = parse_day(day, today(request))
    rooms = queries.rooms_in_building(session, chosen.id if chosen else None)
    times, rows = grid.day_grid(session, rooms, local_day, _zone(request))
    org_ids = {o.organization_id for r in rows for cell in r.cells for o in cell if o.organization_id}
    context = {
        "orgs": queries.organizations_by_id(session, org_ids),
        "buildings": buildings,
        "building": chosen,
        "day": local_day,
        "times": times,
        "rows": rows,
        "prev_day": local_day - timedelta(days=1),
        "next_day": local_day + timedelta(days=1),
        # Bookings caught in a conflict (a displaced request under a block), each counted once.
        "conflicts": len(set().union(*(r.conflicting for r in rows))) if rows else 0,
    }
    return render(request, "booking/manage_grid.html", context, block="grid")


@router.get("/manage/blocks")
def blocks_page(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    room_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    day: Annotated[str, Query(max_length=10)] = "",
    start: Annotated[str, Query(max_length=5)] = "",
    end: Annotated[str, Query(max_length=5)] = "",
) -> Response:
    """The block form; a click on a free slot of the day grid opens it with room and time filled in."""
    ensure_role(user, *MANAGING_ROLES)
    form = {"room_id": room_id, "day": day, "start": start, "end": end} if room_id else {}
    return render(request, "booking/manage_blocks.html", _blocks_context(request, session, form=form))


def _blocks_context(request: Request, session, **extra):  # type: ignore[no-untyped-def]
    current = blocks.list_blocks(session, start=datetime.now(UTC) - timedelta(days=1))
    rooms = queries.rooms_by_id(session)
    return {
        "blocks": current,
        "rooms": rooms,
        "room_list": list(rooms.values()),
        "form": {},
        "error": None,
        "errors": {},
        "displaced": [],
        "placed": None,
        "default_day": (today(request) + timedelta(days=1)).isoformat(),
        **extra,
    }


@router.post("/manage/blocks")
def add_block(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    room_id: Annotated[int, Form()],
    day: Annotated[str, Form()],
    start: Annotated[str, Form()],
    end: Annotated[str, Form()],
    reason: Annotated[str, Form(max_length=500)] = "",
    kind: Annotated[str, Form()] = "training",
    last_day: Annotated[str, Form()] = "",
    return_to: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    zone = _zone(request)
    # The calendar's block form (a drag over free days, or its button) goes back to the calendar.
    calendar = return_to if _is_calendar(return_to) else ""
    form = {
        "room_id": room_id,
        "day": day,
        "start": start,
        "end": end,
        "reason": reason,
        "kind": kind,
    }
    placed: list[Block] = []
    displaced: list[Booking] = []
    try:
        with form_savepoint(session):
            first = date.fromisoformat(day)
            final = date.fromisoformat(last_day) if last_day else first
            current = first
            # A training course blacks out the same hours on each day of the course.
            while current <= final and len(placed) < 62:
                block, moved = blocks.place_block(
                    session,
                    user,
                    room_id=room_id,
                    kind=kind,
                    reason=reason,
                    starts_at=datetime.combine(current, time.fromisoformat(start), tzinfo=zone),
                    ends_at=datetime.combine(current, time.fromisoformat(end), tzinfo=zone),
                )
                placed.append(block)
                displaced.extend(moved)
                current += timedelta(days=1)
    except (FacilityError, ValueError) as error:
        message = error.message if isinstance(error, FacilityError) else _("Check the dates and times.")
        if calendar and not (isinstance(error, FacilityError) and error.status_code in (401, 403)):
            flash(request, _("No block placed: {reason}", reason=message), level="error")
            return redirect(request, calendar)
        conflicts = error.extra.get("conflicts", []) if isinstance(error, BookingConflict) else []
        field = "reason" if isinstance(error, FacilityError) and error.code == "reason_required" else ""
        context = _blocks_context(request, session, form=form, error=message, conflicts=conflicts)
        context["errors"] = {field: message}
        # The refusal's own status: a role the service refuses is 403 here as in the API.
        status = error.status_code if isinstance(error, FacilityError) else 422
        return render(request, "booking/manage_blocks.html", context, status_code=status)
    flash(request, _("{n} blocks placed.", n=len(placed)))
    if calendar:
        return redirect(request, calendar)
    context = _blocks_context(request, session, displaced=displaced, placed=placed)
    return render(request, "booking/manage_blocks.html", context)


@router.post("/manage/blocks/{block_id}/remove")
def remove_block(request: Request, block_id: int, session: DbSession, user: CurrentUser) -> Response:
    ensure_role(user, *MANAGING_ROLES)
    blocks.remove_block(session, user, block_id)
    flash(request, _("Block removed."))
    return redirect(request, "/manage/blocks")


@router.get("/manage/invoices")
def invoices_page(request: Request, session: DbSession, user: CurrentUser, status: str = "issued") -> Response:
    ensure_role(user, *MANAGING_ROLES)
    rows = invoices.list_invoices(session, user, status=status or None)
    orgs = queries.organizations_by_id(session, {i.organization_id for i in rows if i.organization_id})
    context = {
        "invoices": rows,
        "orgs": orgs,
        "status": status,
        "summary": invoices.revenue_summary(session, user),
        "today": today(request),
        "unmatched": reconciliation.list_deposits(session, user, status=DepositStatus.unmatched.value),
    }
    return render(request, "booking/manage_invoices.html", context, block="invoice_list")


@router.post("/manage/invoices/{invoice_id}/payments")
def record_payment(
    request: Request,
    invoice_id: int,
    session: DbSession,
    user: CurrentUser,
    amount: Annotated[int, Form()],
    paid_on: Annotated[str, Form()],
    reference: Annotated[str, Form(max_length=100)] = "",
    back: Annotated[int | None, Form()] = None,
) -> Response:
    payment = flows.record_payment(
        session,
        user,
        invoice_id,
        amount=amount,
        paid_on=parse_day(paid_on, today(request)),
        reference=reference,
    )
    paid = format(payment.amount, ",")
    flash(request, _("Payment of {amount} won recorded.", amount=paid))
    return redirect(request, f"/manage/bookings/{back}" if back else "/manage/invoices")


@router.get("/manage/reports")
def reports_page(
    request: Request, session: DbSession, user: CurrentUser, month: str = "", by: str = "room"
) -> Response:
    ensure_role(user, *MANAGING_ROLES)
    first = _month(request, month)
    by = exports.choice("by", by, reports.GROUPINGS)
    table = reports.utilisation(session, first, _zone(request), by=by)
    names = [label(f"kind.{row.key}") if by == "kind" else row.key for row in table]
    chart = reports.percent_bars(table, names, title=label("reports.chart")) if table else ""
    context = {
        "month": first,
        "by": by,
        "table": table,
        "chart": Markup(chart),
        "no_shows": reports.no_shows_by_organization(session, first, _zone(request)),
    }
    return render(request, "booking/manage_reports.html", context)


def _month(request: Request, value: str) -> date:
    """The month asked for (`YYYY-MM`, else 422), or this month."""
    now = today(request)
    return exports.month("month", value) or date(now.year, now.month, 1)


@router.get("/manage/reports.csv")
def reports_csv(request: Request, session: DbSession, user: CurrentUser, month: str = "", by: str = "room") -> Response:
    ensure_role(user, *MANAGING_ROLES)
    first = _month(request, month)
    by = exports.choice("by", by, reports.GROUPINGS)
    rows = [
        [
            label(f"kind.{row.key}") if by == "kind" else row.key,
            f"{row.open_hours:g}",
            f"{row.booked_hours:g}",
            f"{row.percent:.1f}",
            row.bookings,
            row.no_shows,
            f"{row.no_show_percent:.1f}",
            row.revenue,
            row.reductions,
        ]
        for row in reports.utilisation(session, first, _zone(request), by=by)
    ]
    columns = (
        f"by.{by}",
        "open_hours",
        "booked_hours",
        "percent",
        "bookings",
        "no_shows",
        "no_show_rate",
        "revenue",
        "reductions",
    )
    header = [label(f"reports.{column}") for column in columns]
    return exports.csv_response([header, *rows], filename=f"utilisation-{first:%Y-%m}-{by}.csv")


@router.get("/manage/rooms/{room_id}/qr.svg")
def room_qr(request: Request, room_id: int, session: DbSession, user: CurrentUser) -> Response:
    """The room's check-in QR code (print it beside the door)."""
    import segno

    ensure_role(user, *STAFF_ROLES)
    rooms_service.get_room(session, room_id, user)
    token = sign_value(request.app.state.secret_key, CHECKIN_SALT, str(room_id))
    url = absolute_url(f"/checkin/{room_id}?token={token}")  # FACILITY_BASE_URL: printed, so never the Host header
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=6, border=2)
    return Response(buffer.getvalue(), media_type="image/svg+xml")
