"""A renter's own bookings: the list (with invoices, waitlist and calendar feed), a booking's detail,
cancelling and submitting a hold, and the printable invoice."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from facility.booking import flows, invoices, pricing, queries, reductions, series, waitlist
from facility.booking.api.calendar import feed_scope, org_feed_url
from facility.booking.models import Booking, Invoice
from facility.core import feeds
from facility.core.auth import CurrentUser, DbSession
from facility.core.db import utcnow
from facility.core.i18n import gettext as _
from facility.core.models import Organization, User
from facility.core.web import flash, redirect, render
from facility.rooms import service as rooms_service
from facility.rooms.models import Room

router = APIRouter(include_in_schema=False)


@router.get("/my/bookings")
def my_bookings(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    show: queries.MyBookingsView = queries.MyBookingsView.upcoming,
) -> Response:
    """Upcoming bookings soonest first; past and cancelled ones each on their own tab."""
    rows = queries.my_bookings(session, user, show, utcnow())
    rooms = {r.id: r for r in rooms_service.visible_rooms(session, user, list({b.room_id for b in rows}))}
    feed = org_feed_url(session, request.app.state.secret_key, user) if user.organization_id else None
    context = {
        "bookings": rows,
        "show": show.value,
        "views": list(queries.MyBookingsView),
        "rooms": rooms,
        "feed": feed,
        "has_org": bool(user.organization_id),
        "waitlist": waitlist.list_entries(session, user),
        "invoices": invoices.list_invoices(session, user),
    }
    return render(request, "booking/my_bookings.html", context)


@router.post("/my/calendar-feed")
def change_calendar_feed(
    request: Request, session: DbSession, user: CurrentUser, action: Annotated[Literal["rotate", "revoke"], Form()]
) -> Response:
    """A new secret link for the organisation's calendar feed, or none (the old one stops working)."""
    scope = feed_scope(user, "organization", None)
    if action == "rotate":
        feeds.rotate(session, request.app.state.secret_key, scope, user)
    else:
        feeds.revoke(session, scope, user)
    return redirect(request, "/my/bookings")


@router.get("/my/bookings/{booking_id}")
def booking_detail(request: Request, booking_id: int, session: DbSession, user: CurrentUser) -> Response:
    booking = queries.get_booking(session, user, booking_id)
    if user.is_manager:
        # Managers act on a booking from their own page of it (actions, contact, history).
        return redirect(request, f"/manage/bookings/{booking.id}")
    return render(request, "booking/detail.html", _detail_context(session, user, booking))


def _detail_context(session: Session, user: User, booking: Booking) -> dict[str, Any]:
    room = session.get(Room, booking.room_id)
    return {
        "booking": booking,
        "cancel_fee": flows.cancellation_fee(booking, user),
        "cancellation": pricing.refund_rows(booking.quote.get("refund_table")),
        "room": room,
        "invoices": invoices.list_invoices(session, user, booking_id=booking.id),
        "org": session.get(Organization, booking.organization_id) if booking.organization_id else None,
        "reduction_claims": reductions.claims_for(session, booking.id),  # type: ignore[arg-type]
        "reduction_categories": reductions.current_categories(session),
        "reduction_names": reductions.current_categories(session, with_inactive=True),
        "reduction_open": booking.status in reductions.OPEN_STATUSES,
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
    cancelled = series.cancel(session, user, booking_id, scope, reason)
    flash(request, _("{n} bookings cancelled.", n=len(cancelled)) if len(cancelled) > 1 else _("Booking cancelled."))
    return redirect(request, f"/my/bookings/{booking_id}")


@router.post("/my/bookings/{booking_id}/submit")
def submit_hold(request: Request, booking_id: int, session: DbSession, user: CurrentUser) -> Response:
    flows.submit_hold(session, user, booking_id)
    flash(request, _("Request sent; a manager will decide on it."))
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
