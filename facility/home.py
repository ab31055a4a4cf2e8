"""Each role's home after sign-in, and the manager's today page.

The today page reads bookings, sensor alerts and maintenance work, so it sits beside the app
factory rather than in a domain: no domain has to import one above it.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from facility.booking import queries as booking_queries
from facility.booking.models import BookingStatus
from facility.core.auth import CurrentUser, DbSession, OptionalUser, ensure_role
from facility.core.models import MANAGING_ROLES, Role, User
from facility.core.web import redirect, render
from facility.maintenance import inspections
from facility.maintenance import service as maintenance_service
from facility.sensors import service as sensors_service

router = APIRouter(include_in_schema=False)
QUEUE_SHOWN = 10
PENDING = [BookingStatus.requested.value, BookingStatus.held.value]
IN_USE = [
    BookingStatus.approved.value,
    BookingStatus.confirmed.value,
    BookingStatus.checked_in.value,
    BookingStatus.completed.value,
]


def home_path(user: User | None) -> str:
    """Where a role starts: renters search, crew their day, managers today's queue."""
    if user is None:
        return "/rooms"
    if user.role == Role.crew:
        return "/maintenance/my-day"
    if user.is_manager:
        return "/today"
    return "/book"


@router.get("/")
def home(request: Request, user: OptionalUser) -> Response:
    return redirect(request, home_path(user))


@router.get("/today")
def today_page(request: Request, session: DbSession, user: CurrentUser) -> Response:
    """Requests waiting for a decision, today's bookings, open alerts and overdue work, on one page."""
    ensure_role(user, *MANAGING_ROLES)
    zone = request.app.state.settings.zone
    midnight = datetime.combine(datetime.now(zone).date(), time(0), tzinfo=zone).astimezone(UTC)
    pending, pending_total = booking_queries.list_bookings(session, user, status=PENDING, limit=QUEUE_SHOWN)
    todays, _total = booking_queries.list_bookings(
        session, user, status=IN_USE, start=midnight, end=midnight + timedelta(days=1), limit=50
    )
    _rows, overdue_inspections = inspections.list_inspections(session, user, status="overdue", limit=1)
    orgs = booking_queries.organizations_by_id(
        session, {b.organization_id for b in pending + todays if b.organization_id}
    )
    context = {
        "pending": pending,
        "pending_total": pending_total,
        "waiting_orgs": booking_queries.count_waiting_organizations(session),
        "todays": todays,
        "rooms": booking_queries.rooms_by_id(session),
        "orgs": orgs,
        "open_alerts": sensors_service.count_open_alerts(session),
        "overdue_orders": maintenance_service.count_overdue(session, user),
        "overdue_inspections": overdue_inspections,
    }
    return render(request, "today.html", context)
