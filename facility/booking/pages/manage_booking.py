"""The manager's page of one booking: its actions (approve, reject, cancel, move, payment), the
renter's contact and the booking's history; and the decision on a whole recurring series."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from facility.booking import invoices, pricing, queries, series
from facility.booking.api.calendar import room_feed_url
from facility.booking.models import BookingStatus, InvoiceStatus
from facility.booking.pages.dates import today
from facility.core import audit
from facility.core.auth import CurrentUser, DbSession, ensure_role
from facility.core.i18n import gettext as _
from facility.core.models import MANAGING_ROLES
from facility.core.params import ObjectId
from facility.core.web import flash, redirect, render
from facility.rooms import service as rooms_service

router = APIRouter(include_in_schema=False)
HISTORY_LIMIT = 100
DECIDABLE = (BookingStatus.requested.value, BookingStatus.held.value)
CANCELLABLE = (*DECIDABLE, BookingStatus.approved.value, BookingStatus.confirmed.value)


@router.get("/manage/bookings/{booking_id}")
def manager_booking(request: Request, booking_id: ObjectId, session: DbSession, user: CurrentUser) -> Response:
    """Everything a manager acts on for one booking; renters and crew are refused (403)."""
    ensure_role(user, *MANAGING_ROLES)
    booking = queries.get_booking(session, user, booking_id)
    org, person = queries.booking_contact(session, booking)
    history, _total = audit.list_entries(session, user, entity="booking", entity_id=booking.id, limit=HISTORY_LIMIT)
    pending_in_series = 0
    if booking.series_id is not None:
        _found, occurrences = series.get_series(session, user, booking.series_id)
        pending_in_series = sum(1 for b in occurrences if b.status in DECIDABLE)
    bills = invoices.list_invoices(session, user, booking_id=booking.id)
    context = {
        "booking": booking,
        "room": rooms_service.get_room(session, booking.room_id, user),
        "org": org,
        "person": person,
        "history": history,
        "invoices": bills,
        "open_invoices": [i for i in bills if i.status == InvoiceStatus.issued.value],
        "pending_in_series": pending_in_series,
        "decidable": booking.status in DECIDABLE,
        "cancellable": booking.status in CANCELLABLE,
        "today": today(request),
        "room_feed": room_feed_url(session, request.app.state.secret_key, booking.room_id),
        "equipment_names": pricing.equipment_names(session, sorted(booking.equipment)),
    }
    return render(request, "booking/manage_booking.html", context)


@router.post("/manage/series/{series_id}/decision")
def decide_series(
    request: Request,
    series_id: ObjectId,
    session: DbSession,
    user: CurrentUser,
    approve: Annotated[bool, Form()],
    reason: Annotated[str, Form(max_length=500)] = "",
    back: Annotated[int | None, Form()] = None,
) -> Response:
    """Approve or reject every pending occurrence of a series at once."""
    decided = series.decide_series(session, user, series_id, approve=approve, reason=reason)
    if approve:
        flash(request, _("{n} occurrences approved.", n=len(decided)))
    else:
        flash(request, _("{n} occurrences rejected.", n=len(decided)))
    return redirect(request, f"/manage/bookings/{back}" if back else "/manage/bookings")
