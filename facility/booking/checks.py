"""The rules a booking request must meet, each refused with a 422 and a message."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from facility.booking import rules
from facility.booking.common import hours_text as _hours
from facility.booking.common import local_zone
from facility.booking.exceptions import BookingRuleViolation
from facility.booking.models import ACTIVE_STATUSES, Booking, OrganizationQuota
from facility.core.accounts import organization_is_approved
from facility.core.models import STAFF_ROLES, User
from facility.rooms import service as rooms_service
from facility.rooms.kinds import RoomStatus
from facility.rooms.models import Room, RoomLayout


def _layout_capacity(session: Session, room: Room, layout: str | None) -> int:
    if layout:
        row = session.get(RoomLayout, (room.id, layout))
        if row is not None:
            return row.capacity
    return room.capacity


def check_rules(
    session: Session,
    actor: User,
    room: Room,
    starts_at: datetime,
    ends_at: datetime,
    *,
    attendees: int,
    layout: str | None,
    now: datetime,
    organization_id: int | None,
    exclude_booking_id: int | None = None,
) -> None:
    """Raise BookingRuleViolation (422) with a message for the first rule the request breaks."""
    zone = local_zone()
    staff = actor.role in STAFF_ROLES
    if ends_at <= starts_at:
        raise BookingRuleViolation("The end must be after the start.")
    if not rules.on_grid(starts_at) or not rules.on_grid(ends_at):
        raise BookingRuleViolation(
            f"Start and end must fall on the {rules.SLOT_MINUTES}-minute grid (e.g. 09:00, 09:30)."
        )
    if not staff and not room.bookable_external:
        raise BookingRuleViolation("This room is not bookable by renters.", code="not_bookable")
    if room.status != RoomStatus.open.value:
        raise BookingRuleViolation(f"This room is {room.status} and cannot be booked.", code="room_unavailable")
    kind_rules = rules.rules_for(room.kind)
    length = ends_at - starts_at
    if length < kind_rules.min_duration:
        raise BookingRuleViolation(f"A booking of this room lasts at least {_hours(kind_rules.min_duration)} h.")
    if length > kind_rules.max_duration:
        raise BookingRuleViolation(f"A booking of this room lasts at most {_hours(kind_rules.max_duration)} h.")
    if not staff:
        if starts_at < now + rules.MIN_LEAD:
            raise BookingRuleViolation("Book at least one day ahead.", code="lead_time")
        if starts_at > now + rules.MAX_LEAD:
            raise BookingRuleViolation("Bookings open one year ahead.", code="lead_time")
    elif starts_at < now - timedelta(minutes=rules.SLOT_MINUTES):
        raise BookingRuleViolation("The start is in the past.", code="lead_time")
    local_start, local_end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    hours = rooms_service.opening_hours(session, room, local_start.weekday())
    if hours is None:
        raise BookingRuleViolation("The room is closed on that day.", code="outside_hours")
    opens = datetime.combine(local_start.date(), hours[0], tzinfo=zone)
    closes = datetime.combine(local_start.date(), hours[1], tzinfo=zone)
    if local_start < opens or local_end > closes:
        raise BookingRuleViolation(
            f"Outside opening hours ({hours[0]:%H:%M}–{hours[1]:%H:%M} local time).",
            code="outside_hours",
        )
    holiday = rules.holiday_name(session, local_start.date())
    if holiday and not staff:
        raise BookingRuleViolation(f"The Institute does not rent on {local_start.date()} ({holiday}).", code="holiday")
    capacity = _layout_capacity(session, room, layout)
    if attendees > capacity:
        raise BookingRuleViolation(
            f"{attendees} people exceed the room's capacity of {capacity}.", code="over_capacity"
        )
    if not staff:
        if not organization_is_approved(session, organization_id):
            raise BookingRuleViolation(
                "Your organisation has not been approved for rentals yet.", code="org_not_approved"
            )
        check_quota(session, organization_id, starts_at, ends_at, exclude_booking_id)


def monthly_quota_hours(session: Session, organization_id: int) -> int:
    row = session.get(OrganizationQuota, organization_id)
    return row.hours_per_month if row else rules.DEFAULT_MONTHLY_QUOTA_HOURS


def check_quota(
    session: Session,
    organization_id: int | None,
    starts_at: datetime,
    ends_at: datetime,
    exclude_booking_id: int | None = None,
) -> None:
    """An organisation's active bookings in the local month of the start stay under its quota."""
    if organization_id is None:
        return
    zone = local_zone()
    local = starts_at.astimezone(zone)
    month_start = datetime(local.year, local.month, 1, tzinfo=zone)
    month_end = datetime(local.year + local.month // 12, local.month % 12 + 1, 1, tzinfo=zone)
    query = select(Booking.starts_at, Booking.ends_at).where(
        Booking.organization_id == organization_id,
        col(Booking.status).in_([s.value for s in ACTIVE_STATUSES]),
        Booking.starts_at >= month_start,
        Booking.starts_at < month_end,
    )
    if exclude_booking_id is not None:
        query = query.where(Booking.id != exclude_booking_id)
    used = sum((e - s).total_seconds() for s, e in session.exec(query)) / 3600
    wanted = (ends_at - starts_at).total_seconds() / 3600
    limit = monthly_quota_hours(session, organization_id)
    if used + wanted > limit:
        raise BookingRuleViolation(
            f"This would bring your organisation to {used + wanted:g} h this month; the quota is {limit} h.",
            code="quota_exceeded",
        )
