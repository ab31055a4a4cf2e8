"""Booking policy and its checks: buffers and durations per room kind, lead times, holds, grace
periods, quotas, the calendar of days the Institute does not rent (Korean public holidays and
closures), and `check_rules`, which refuses a request breaking any of them. A new rule goes here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays
from sqlmodel import Session, col, select

from facility.booking.common import hours_text, local_zone
from facility.booking.exceptions import BookingRuleViolation
from facility.booking.models import ACTIVE_STATUSES, Booking, Closure, OrganizationQuota
from facility.core import memo
from facility.core.accounts import organization_is_approved
from facility.core.i18n import gettext as _
from facility.core.i18n import label
from facility.core.models import STAFF_ROLES, User
from facility.rooms import service as rooms_service
from facility.rooms.kinds import RoomStatus
from facility.rooms.models import Equipment, Room, RoomEquipment, RoomLayout, closing_moment


@dataclass(frozen=True)
class KindRules:
    buffer_before: timedelta
    buffer_after: timedelta
    min_duration: timedelta
    max_duration: timedelta


_MIN = timedelta(minutes=1)
DEFAULT_RULES = KindRules(15 * _MIN, 15 * _MIN, 60 * _MIN, 12 * 60 * _MIN)
# Halls need time to set up and clear seating and stage; small rooms only a quick clean.
RULES_BY_KIND: dict[str, KindRules] = {
    "auditorium": KindRules(60 * _MIN, 60 * _MIN, 120 * _MIN, 15 * 60 * _MIN),
    "convention_hall": KindRules(60 * _MIN, 60 * _MIN, 120 * _MIN, 15 * 60 * _MIN),
    "multipurpose_hall": KindRules(30 * _MIN, 30 * _MIN, 60 * _MIN, 15 * 60 * _MIN),
    "hybrid_lecture_hall": KindRules(30 * _MIN, 30 * _MIN, 60 * _MIN, 12 * 60 * _MIN),
    "gym": KindRules(30 * _MIN, 30 * _MIN, 60 * _MIN, 8 * 60 * _MIN),
    "pool": KindRules(30 * _MIN, 30 * _MIN, 60 * _MIN, 4 * 60 * _MIN),
    "studio": KindRules(30 * _MIN, 30 * _MIN, 60 * _MIN, 8 * 60 * _MIN),
    "seminar_room": KindRules(15 * _MIN, 15 * _MIN, 30 * _MIN, 12 * 60 * _MIN),
}

# Renters book at least a day ahead (the Institute must prepare the room) and at most a year.
MIN_LEAD = timedelta(days=1)
MAX_LEAD = timedelta(days=365)
# Starts and ends fall on this grid so free slots line up in the week view.
SLOT_MINUTES = 30
# A hold keeps a slot while the renter fills in the request form.
HOLD_TTL = timedelta(minutes=15)
# A booking not checked in this long after its start is released as a no-show.
CHECK_IN_GRACE = timedelta(minutes=30)
# Check-in opens this long before the start.
CHECK_IN_EARLY = timedelta(minutes=30)
# Booked hours per calendar month an organisation may hold unless its quota says otherwise.
DEFAULT_MONTHLY_QUOTA_HOURS = 60


def rules_for(kind: str) -> KindRules:
    return RULES_BY_KIND.get(kind, DEFAULT_RULES)


@lru_cache(maxsize=16)
def _korean_holidays(year: int) -> dict[date, str]:
    return dict(holidays.country_holidays("KR", years=year, language="ko"))


def load_holidays(today: date) -> None:
    """Compute this year's and the next two years' public holidays now, at start-up: the first
    lookup imports the holidays package's every country (a second or more), which the first
    booking requests after a start would otherwise wait for."""
    for year in range(today.year, today.year + 3):
        _korean_holidays(year)


def _closures(session: Session) -> dict[date, str]:
    return {c.day: c.name for c in session.exec(select(Closure))}


def closures(session: Session) -> dict[date, str]:
    """Every Institute closure, memoised (core/memo.py): every booking request asks, a manager
    adds a few a year."""
    return memo.remembered(session, "booking.closures", ("institute_closure",), _closures)


def holiday_name(session: Session, day: date) -> str | None:
    """The name of the public holiday or Institute closure on this local day, if any."""
    return _korean_holidays(day.year).get(day) or closures(session).get(day)


def closed_days(session: Session, first: date, last: date) -> dict[date, str]:
    """Public holidays and closures between two local days, inclusive."""
    found: dict[date, str] = {}
    for year in range(first.year, last.year + 1):
        found.update({d: n for d, n in _korean_holidays(year).items() if first <= d <= last})
    found.update({d: n for d, n in closures(session).items() if first <= d <= last})
    return found


def on_grid(moment: datetime) -> bool:
    return moment.second == 0 and moment.microsecond == 0 and moment.minute % SLOT_MINUTES == 0


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
    quota: bool = True,
) -> None:
    """Raise BookingRuleViolation (422) with a message for the first rule the request breaks.

    `quota=False` leaves the quota to the caller, who checks it under the organisation's lock."""
    zone = local_zone()
    staff = actor.role in STAFF_ROLES
    if ends_at <= starts_at:
        raise BookingRuleViolation(_("The end must be after the start."))
    if not on_grid(starts_at) or not on_grid(ends_at):
        raise BookingRuleViolation(
            _("Start and end must fall on the {minutes}-minute grid (e.g. 09:00, 09:30).", minutes=SLOT_MINUTES)
        )
    if not staff and not room.bookable_external:
        raise BookingRuleViolation(_("This room is not bookable by renters."), code="not_bookable")
    if room.status != RoomStatus.open.value:
        raise BookingRuleViolation(
            _("This room is {status} and cannot be booked.", status=label(f"status.{room.status}")),
            code="room_unavailable",
        )
    kind_rules = rules_for(room.kind)
    length = ends_at - starts_at
    if length < kind_rules.min_duration:
        raise BookingRuleViolation(
            _("A booking of this room lasts at least {hours} h.", hours=hours_text(kind_rules.min_duration))
        )
    if length > kind_rules.max_duration:
        raise BookingRuleViolation(
            _("A booking of this room lasts at most {hours} h.", hours=hours_text(kind_rules.max_duration))
        )
    if not staff:
        if starts_at < now + MIN_LEAD:
            raise BookingRuleViolation(_("Book at least one day ahead."), code="lead_time")
        if starts_at > now + MAX_LEAD:
            raise BookingRuleViolation(_("Bookings open one year ahead."), code="lead_time")
    elif starts_at < now - timedelta(minutes=SLOT_MINUTES):
        raise BookingRuleViolation(_("The start is in the past."), code="lead_time")
    local_start, local_end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    hours = rooms_service.opening_hours(session, room, local_start.weekday())
    if hours is None:
        raise BookingRuleViolation(_("The room is closed on that day."), code="outside_hours")
    opens = datetime.combine(local_start.date(), hours[0], tzinfo=zone)
    closes = closing_moment(local_start.date(), hours[1], zone)
    if local_start < opens or local_end > closes:
        raise BookingRuleViolation(
            _(
                "Outside opening hours ({opens}–{closes} local time).",
                opens=f"{hours[0]:%H:%M}",
                closes=f"{hours[1]:%H:%M}",
            ),
            code="outside_hours",
        )
    holiday = holiday_name(session, local_start.date())
    if holiday and not staff:
        raise BookingRuleViolation(
            _("The Institute does not rent on {day} ({holiday}).", day=local_start.date(), holiday=holiday),
            code="holiday",
        )
    capacity = _layout_capacity(session, room, layout)
    if attendees > capacity:
        raise BookingRuleViolation(
            _("{attendees} people exceed the room's capacity of {capacity}.", attendees=attendees, capacity=capacity),
            code="over_capacity",
        )
    if not staff:
        if not organization_is_approved(session, organization_id):
            raise BookingRuleViolation(
                _("Your organisation has not been approved for rentals yet."), code="org_not_approved"
            )
        if quota:
            check_quota(session, organization_id, starts_at, ends_at, exclude_booking_id)


def monthly_quota_hours(session: Session, organization_id: int) -> int:
    """Memoised (core/memo.py): every renter's request that may succeed asks."""

    def read(s: Session) -> int:
        row = s.get(OrganizationQuota, organization_id)
        return row.hours_per_month if row else DEFAULT_MONTHLY_QUOTA_HOURS

    return memo.remembered(session, f"booking.quota:{organization_id}", ("organization_quota",), read)


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
            _(
                "This would bring your organisation to {hours} h this month; the quota is {limit} h.",
                hours=f"{used + wanted:g}",
                limit=limit,
            ),
            code="quota_exceeded",
        )


def check_equipment(session: Session, room: Room, equipment: dict[str, int]) -> None:
    """A renter asks only for equipment this room has, at most as many as it has."""
    wanted = {code: n for code, n in equipment.items() if n > 0}
    if not wanted:
        return
    query = (
        select(Equipment.code, Equipment.name_ko, RoomEquipment.quantity)
        .join(RoomEquipment, col(RoomEquipment.equipment_id) == Equipment.id)
        .where(RoomEquipment.room_id == room.id)
    )
    available = {code: (name, quantity) for code, name, quantity in session.exec(query)}
    for code, count in sorted(wanted.items()):
        if code not in available:
            raise BookingRuleViolation(_("This room has no {item}.", item=code), code="equipment_unavailable")
        name, quantity = available[code]
        if count > quantity:
            raise BookingRuleViolation(
                _("This room has only {n} of {item}.", n=quantity, item=name), code="equipment_unavailable"
            )
