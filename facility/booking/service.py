"""Bookings: the one request path, the lifecycle, Institute blocks, and queries other domains use.

Rules live here; the database decides conflicts (see `claims`). Services flush, never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from facility.booking import availability, claims, notify, pricing, rules
from facility.booking.exceptions import (
    BlockNotFound,
    BookingConflict,
    BookingNotFound,
    BookingRuleViolation,
    InvalidTransition,
)
from facility.booking.models import (
    ACTIVE_STATUSES,
    FIRM_STATUSES,
    PENDING_STATUSES,
    Block,
    BlockKind,
    Booking,
    BookingStatus,
    OrganizationQuota,
)
from facility.booking.schemas import BookingCreate
from facility.core import audit
from facility.core.accounts import organization_is_approved
from facility.core.auth import ensure_role
from facility.core.config import get_settings
from facility.core.db import utcnow
from facility.core.errors import Forbidden, InvalidInput
from facility.core.models import MANAGING_ROLES, STAFF_ROLES, Organization, User
from facility.rooms import service as rooms_service
from facility.rooms.exceptions import RoomNotFound
from facility.rooms.kinds import RoomStatus
from facility.rooms.models import Room, RoomLayout

S = BookingStatus
# Statuses that count as use of a room (maintenance plans by hours of use, utilisation).
USED_STATUSES = frozenset({S.approved, S.confirmed, S.checked_in, S.completed})


def local_zone() -> ZoneInfo:
    return get_settings().zone


def _iso(moment: datetime) -> str:
    return moment.astimezone(local_zone()).isoformat()


def _hours(length: timedelta) -> str:
    return f"{length.total_seconds() / 3600:g}"


def _touch(booking: Booking) -> None:
    booking.updated_at = utcnow()


# --- the request path ----------------------------------------------------------------------


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
        raise BookingRuleViolation(
            f"This room is {room.status} and cannot be booked.", code="room_unavailable"
        )
    kind_rules = rules.rules_for(room.kind)
    length = ends_at - starts_at
    if length < kind_rules.min_duration:
        raise BookingRuleViolation(
            f"A booking of this room lasts at least {_hours(kind_rules.min_duration)} h."
        )
    if length > kind_rules.max_duration:
        raise BookingRuleViolation(
            f"A booking of this room lasts at most {_hours(kind_rules.max_duration)} h."
        )
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
        raise BookingRuleViolation(
            f"The Institute does not rent on {local_start.date()} ({holiday}).", code="holiday"
        )
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
            f"This would bring your organisation to {used + wanted:g} h this month; "
            f"the quota is {limit} h.",
            code="quota_exceeded",
        )


def conflict_error(
    session: Session,
    room: Room,
    starts_at: datetime,
    ends_at: datetime,
    attendees: int,
    clashes: Sequence[claims.Clash],
    *,
    viewer: User | None = None,
) -> BookingConflict:
    """A 409 naming the requested slot, what is in the way, and alternatives."""
    seen: set[tuple[int | None, int | None]] = set()
    in_the_way = []
    for clash in clashes:
        if (clash.booking_id, clash.block_id) in seen:
            continue
        seen.add((clash.booking_id, clash.block_id))
        in_the_way.append(
            {
                "kind": "block" if clash.block_id else "booking",
                "start": _iso(clash.starts_at),
                "end": _iso(clash.ends_at),
                "space_id": clash.space_id,
            }
        )
    return BookingConflict(
        "This slot is already taken.",
        extra={
            "slot": {"room_id": room.id, "start": _iso(starts_at), "end": _iso(ends_at)},
            "conflicts": in_the_way,
            "alternatives": suggest_alternatives(
                session, room, starts_at, ends_at, attendees, viewer
            ),
        },
    )


def suggest_alternatives(
    session: Session,
    room: Room,
    starts_at: datetime,
    ends_at: datetime,
    attendees: int,
    viewer: User | None = None,
    *,
    limit: int = 6,
) -> list[dict[str, Any]]:
    """Free slots of the same length: this room later (up to a week), then similar rooms then."""
    zone = local_zone()
    length = ends_at - starts_at
    found: list[dict[str, Any]] = []
    campus = availability.Campus.load(session)
    day_start = datetime.combine(
        starts_at.astimezone(zone).date(), datetime.min.time(), tzinfo=zone
    )
    same_room = availability.free_slots_many(
        session,
        [room],
        day_start,
        day_start + timedelta(days=7),
        zone,
        min_length=length,
        campus=campus,
    )[room.id]  # type: ignore[index]
    for lo, _hi in same_room:
        if lo >= utcnow() and len(found) < limit // 2:
            found.append(
                {
                    "room_id": room.id,
                    "room_code": room.code,
                    "start": _iso(lo),
                    "end": _iso(lo + length),
                }
            )
    staff = viewer is not None and viewer.is_staff
    query = select(Room).where(
        Room.id != room.id,
        Room.capacity >= attendees,
        Room.status == RoomStatus.open.value,
        Room.building_id == room.building_id,
    )
    if not staff:
        query = query.where(col(Room.bookable_external).is_(True))
    others = list(session.exec(query.order_by(Room.code).limit(40)))
    others.sort(key=lambda r: (r.kind != room.kind, r.code))
    free = availability.free_slots_many(session, others, starts_at, ends_at, zone, campus=campus)
    for other in others:
        if len(found) >= limit:
            break
        if availability.fits(free[other.id], starts_at, ends_at):  # type: ignore[index]
            found.append(
                {
                    "room_id": other.id,
                    "room_code": other.code,
                    "start": _iso(starts_at),
                    "end": _iso(ends_at),
                }
            )
    return found


def claim_slot(session: Session, room: Room, booking: Booking, viewer: User | None) -> None:
    """Claim the booking's spaces or raise BookingConflict; the database has the last word."""
    start, end = claims.buffered_range(room, booking.starts_at, booking.ends_at)
    spaces = rooms_service.atomic_space_ids(session, room.id)  # type: ignore[arg-type]
    clashes = claims.find_clashes(
        session, spaces, start, end, share_key=booking.id or -1, exclude_booking_id=booking.id
    )
    if not clashes and claims.insert_claims(session, claims.booking_claims(session, room, booking)):
        return
    if not clashes:
        # Lost a race on PostgreSQL: the constraint refused us; read what won.
        clashes = claims.find_clashes(
            session, spaces, start, end, share_key=booking.id or -1, exclude_booking_id=booking.id
        )
    raise conflict_error(
        session, room, booking.starts_at, booking.ends_at, booking.attendees, clashes, viewer=viewer
    )


def request_booking(
    session: Session,
    actor: User,
    data: BookingCreate | dict[str, Any],
    *,
    now: datetime | None = None,
    series_id: int | None = None,
    occurrence_key: str | None = None,
    notify_people: bool = True,
    housekeep: bool = True,
    hold_ttl: timedelta = rules.HOLD_TTL,
) -> Booking:
    """Hold or request a room (renters), or book it directly (staff): the one path to a booking."""
    ensure_role(actor)
    data = data if isinstance(data, BookingCreate) else BookingCreate.model_validate(data)
    now = now or utcnow()
    if housekeep:
        housekeeping(session, now)
    room = session.get(Room, data.room_id)
    if room is None:
        raise RoomNotFound(data.room_id)
    starts_at, ends_at = data.start.astimezone(UTC), data.end.astimezone(UTC)
    staff = actor.is_staff
    if staff:
        organization_id = data.organization_id
        if organization_id is not None and session.get(Organization, organization_id) is None:
            raise InvalidInput("No such organisation.")
    else:
        organization_id = actor.organization_id
    claims.lock_organization(session, organization_id)
    check_rules(
        session,
        actor,
        room,
        starts_at,
        ends_at,
        attendees=data.attendees,
        layout=data.layout.value if data.layout else None,
        now=now,
        organization_id=organization_id,
    )
    org = session.get(Organization, organization_id) if organization_id else None
    zone = local_zone()
    quote = pricing.compute_quote(
        session,
        room,
        org,
        starts_at,
        ends_at,
        zone,
        equipment=data.equipment,
        is_holiday=rules.holiday_name(session, starts_at.astimezone(zone).date()) is not None,
    )
    if staff:
        status = S.approved
    else:
        status = S.held if data.hold else S.requested
    booking = Booking(
        room_id=room.id,  # type: ignore[arg-type]
        organization_id=organization_id,
        user_id=actor.id,
        series_id=series_id,
        occurrence_key=occurrence_key,
        title=data.title.strip(),
        attendees=data.attendees,
        layout=data.layout.value if data.layout else None,
        notes=data.notes,
        equipment=data.equipment,
        starts_at=starts_at,
        ends_at=ends_at,
        status=status.value,
        hold_expires_at=now + hold_ttl if status == S.held else None,
        decided_at=now if status == S.approved else None,
        quote=quote,
        price_total=quote["total"],
        created_at=now,
        updated_at=now,
    )
    # Check before inserting for a friendly 409 without touching the table.
    start, end = claims.buffered_range(room, starts_at, ends_at)
    spaces = rooms_service.atomic_space_ids(session, room.id)  # type: ignore[arg-type]
    clashes = claims.find_clashes(session, spaces, start, end, share_key=-1)
    if clashes:
        raise conflict_error(
            session, room, starts_at, ends_at, data.attendees, clashes, viewer=actor
        )
    session.add(booking)
    session.flush()
    claim_slot(session, room, booking, actor)
    audit.record(session, actor, f"booking.{status.value}", "booking", booking.id, after=booking)
    if notify_people:
        notify.notify_booking(session, booking, status.value, zone.key)
    return booking


# --- lifecycle -------------------------------------------------------------------------------


def get_booking(session: Session, actor: User, booking_id: int) -> Booking:
    """A booking the actor may see: staff see all, renters their organisation's (else 404)."""
    ensure_role(actor)
    booking = session.get(Booking, booking_id)
    if booking is None or (not actor.is_staff and booking.organization_id != actor.organization_id):
        raise BookingNotFound(booking_id)
    return booking


def list_bookings(
    session: Session,
    actor: User,
    *,
    status: Sequence[str] | None = None,
    room_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    organization_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[Booking], int]:
    ensure_role(actor)
    query = select(Booking)
    if not actor.is_staff:
        query = query.where(Booking.organization_id == actor.organization_id)
    elif organization_id is not None:
        query = query.where(Booking.organization_id == organization_id)
    if status:
        query = query.where(col(Booking.status).in_(list(status)))
    if room_id is not None:
        query = query.where(Booking.room_id == room_id)
    if start is not None:
        query = query.where(Booking.ends_at > start)
    if end is not None:
        query = query.where(Booking.starts_at < end)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(Booking.starts_at), col(Booking.id)).limit(limit).offset(offset)
    )
    return list(rows), total


def _transition(
    session: Session,
    actor: User | None,
    booking: Booking,
    to: BookingStatus,
    allowed_from: Iterable[BookingStatus],
    *,
    reason: str = "",
    event: str | None = None,
    free: bool = False,
) -> Booking:
    if booking.status not in {s.value for s in allowed_from}:
        raise InvalidTransition(f"A {booking.status} booking cannot become {to.value}.")
    before = audit.snapshot(booking)
    booking.status = to.value
    if reason:
        booking.status_reason = reason
    _touch(booking)
    if free:
        claims.release_booking(session, booking.id)  # type: ignore[arg-type]
    session.add(booking)
    session.flush()
    audit.record(
        session, actor, f"booking.{to.value}", "booking", booking.id, before=before, after=booking
    )
    notify.notify_booking(session, booking, event or to.value, local_zone().key, note=reason)
    if free:
        from facility.booking import waitlist

        waitlist.offer_freed_slot(session, booking.room_id, booking.starts_at, booking.ends_at)
    return booking


def submit_hold(
    session: Session, actor: User, booking_id: int, *, now: datetime | None = None
) -> Booking:
    """A renter turns their hold into a request before it expires."""
    booking = get_booking(session, actor, booking_id)
    now = now or utcnow()
    if booking.status == S.held and booking.hold_expires_at and booking.hold_expires_at < now:
        _transition(session, None, booking, S.expired, [S.held], free=True)
        raise InvalidTransition("The hold has expired; search again.")
    booking.hold_expires_at = None
    return _transition(session, actor, booking, S.requested, [S.held])


def approve_booking(session: Session, actor: User, booking_id: int) -> Booking:
    """A manager approves a request; the invoice is issued (a free booking is confirmed at once)."""
    ensure_role(actor, *MANAGING_ROLES)
    booking = get_booking(session, actor, booking_id)
    if booking.displaced_by_block_id is not None:
        raise InvalidTransition("An Institute block displaced this request: move it first.")
    booking.decided_at = utcnow()
    _transition(session, actor, booking, S.approved, [S.requested, S.held])
    from facility.booking import invoices

    if booking.price_total > 0:
        invoices.issue_for_booking(session, actor, booking)
    else:
        _transition(session, actor, booking, S.confirmed, [S.approved])
    return booking


def reject_booking(session: Session, actor: User, booking_id: int, reason: str) -> Booking:
    ensure_role(actor, *MANAGING_ROLES)
    if not reason.strip():
        raise InvalidInput("Give a reason for the rejection.")
    booking = get_booking(session, actor, booking_id)
    booking.decided_at = utcnow()
    return _transition(
        session, actor, booking, S.rejected, [S.requested, S.held], reason=reason.strip(), free=True
    )


def confirm_booking(session: Session, actor: User | None, booking_id: int) -> Booking:
    """Approved and paid (or confirmed by a manager): the booking is firm."""
    if actor is not None:
        ensure_role(actor, *MANAGING_ROLES)
    booking = session.get(Booking, booking_id)
    if booking is None:
        raise BookingNotFound(booking_id)
    return _transition(session, actor, booking, S.confirmed, [S.approved])


def cancel_booking(
    session: Session, actor: User, booking_id: int, reason: str = "", *, now: datetime | None = None
) -> Booking:
    """Renters cancel their organisation's bookings (fees by schedule); managers give a reason."""
    booking = get_booking(session, actor, booking_id)
    now = now or utcnow()
    manager = actor.is_manager
    if manager and not reason.strip() and booking.user_id != actor.id:
        raise InvalidInput("Give a reason for cancelling a renter's booking.")
    if not manager and actor.is_staff:
        raise Forbidden("Only managers and the renter may cancel a booking.")
    if booking.ends_at <= now and booking.status in {S.checked_in, S.completed}:
        raise InvalidTransition("A booking that has taken place cannot be cancelled.")
    fee = 0
    if not manager and booking.status in {S.approved, S.confirmed}:
        percent = pricing.cancellation_percent(booking.starts_at, now, local_zone())
        fee = booking.price_total * percent // 100
    booking.cancellation_fee = fee
    booking.cancelled_at = now
    _transition(
        session,
        actor,
        booking,
        S.cancelled,
        [S.held, S.requested, S.approved, S.confirmed],
        reason=reason.strip(),
        free=True,
    )
    from facility.booking import invoices

    invoices.on_cancelled(session, actor, booking)
    return booking


def check_in(
    session: Session, actor: User, booking_id: int, *, now: datetime | None = None
) -> Booking:
    """The renter (from the room's QR page) or staff marks the booking as started."""
    booking = get_booking(session, actor, booking_id)
    now = now or utcnow()
    if now < booking.starts_at - rules.CHECK_IN_EARLY:
        raise InvalidTransition("Check-in opens 30 minutes before the start.")
    if now >= booking.ends_at:
        raise InvalidTransition("The booking has ended.")
    booking.checked_in_at = now
    return _transition(session, actor, booking, S.checked_in, [S.approved, S.confirmed])


def move_booking(
    session: Session,
    actor: User,
    booking_id: int,
    starts_at: datetime,
    ends_at: datetime,
    *,
    now: datetime | None = None,
) -> Booking:
    """Move a booking to a new time (a manager moving a displaced request, or a series edit)."""
    booking = get_booking(session, actor, booking_id)
    if booking.status not in {s.value for s in ACTIVE_STATUSES - {S.checked_in, S.completed}}:
        raise InvalidTransition(f"A {booking.status} booking cannot be moved.")
    if not actor.is_manager and booking.status not in {S.held, S.requested}:
        raise Forbidden("Ask the Institute to move an approved booking.")
    now = now or utcnow()
    room = session.get(Room, booking.room_id)
    assert room is not None
    starts_at, ends_at = starts_at.astimezone(UTC), ends_at.astimezone(UTC)
    check_rules(
        session,
        actor,
        room,
        starts_at,
        ends_at,
        attendees=booking.attendees,
        layout=booking.layout,
        now=now,
        organization_id=booking.organization_id,
        exclude_booking_id=booking.id,
    )
    before = audit.snapshot(booking)
    old = (booking.starts_at, booking.ends_at)
    claims.release_booking(session, booking.id)  # type: ignore[arg-type]
    booking.starts_at, booking.ends_at = starts_at, ends_at
    booking.displaced_by_block_id = None
    _touch(booking)
    session.add(booking)
    session.flush()
    claim_slot(session, room, booking, actor)
    audit.record(
        session, actor, "booking.move", "booking", booking.id, before=before, after=booking
    )
    notify.notify_booking(session, booking, "moved", local_zone().key)
    from facility.booking import waitlist

    waitlist.offer_freed_slot(session, booking.room_id, *old)
    return booking


# --- housekeeping (jobs, and lazily on each request until the scheduler runs) ------------------


def _lock_candidates(session: Session, query: Any) -> list[Booking]:
    """Rows to update, skipping those another transaction is already handling (PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.exec(query))


def expire_holds(session: Session, now: datetime) -> int:
    """Holds past their expiry free their slot."""
    due = _lock_candidates(
        session,
        select(Booking)
        .where(Booking.status == S.held.value, col(Booking.hold_expires_at) < now)
        .limit(200),
    )
    for booking in due:
        _transition(session, None, booking, S.expired, [S.held], free=True)
    return len(due)


def release_no_shows(session: Session, now: datetime) -> int:
    """Approved or confirmed bookings not checked in within the grace period are released."""
    due = _lock_candidates(
        session,
        select(Booking)
        .where(
            col(Booking.status).in_([S.approved.value, S.confirmed.value]),
            Booking.starts_at < now - rules.CHECK_IN_GRACE,
        )
        .limit(200),
    )
    for booking in due:
        _transition(session, None, booking, S.no_show, [S.approved, S.confirmed], free=True)
    return len(due)


def complete_finished(session: Session, now: datetime) -> int:
    due = _lock_candidates(
        session,
        select(Booking)
        .where(Booking.status == S.checked_in.value, Booking.ends_at <= now)
        .limit(500),
    )
    for booking in due:
        before = audit.snapshot(booking)
        booking.status = S.completed.value
        _touch(booking)
        session.add(booking)
        audit.record(
            session, None, "booking.completed", "booking", booking.id, before=before, after=booking
        )
    session.flush()
    return len(due)


def housekeeping(session: Session, now: datetime) -> None:
    """Expire holds and release no-shows now, rather than wait for the scheduler's next tick."""
    expire_holds(session, now)
    release_no_shows(session, now)


def no_show_count(session: Session, organization_id: int) -> int:
    return session.exec(
        select(func.count()).where(
            Booking.organization_id == organization_id, Booking.status == S.no_show.value
        )
    ).one()


# --- Institute blocks ------------------------------------------------------------------------


def place_block(
    session: Session,
    actor: User | None,
    *,
    room_id: int,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    kind: str = BlockKind.maintenance.value,
    source_ref: str = "",
) -> tuple[Block, list[Booking]]:
    """An Institute block over a room: pending bookings in the way are displaced and returned;
    firm ones (approved, confirmed, checked in) make it fail with BookingConflict."""
    if actor is not None:
        ensure_role(actor, *STAFF_ROLES)
        if kind != BlockKind.maintenance.value and not actor.is_manager:
            raise Forbidden("Only managers enter training and closure blocks.")
    kind = BlockKind(kind).value
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise InvalidInput("Block times need a time zone.")
    starts_at, ends_at = starts_at.astimezone(UTC), ends_at.astimezone(UTC)
    if ends_at <= starts_at:
        raise InvalidInput("The end must be after the start.")
    room = session.get(Room, room_id)
    if room is None:
        raise RoomNotFound(room_id)
    spaces = rooms_service.atomic_space_ids(session, room_id)
    clashes = claims.find_clashes(session, spaces, starts_at, ends_at, share_key=0)
    booking_ids = sorted({c.booking_id for c in clashes if c.booking_id})
    in_the_way = (
        list(session.exec(select(Booking).where(col(Booking.id).in_(booking_ids))))
        if booking_ids
        else []
    )
    firm = [b for b in in_the_way if b.status in {s.value for s in FIRM_STATUSES}]
    if firm:
        raise BookingConflict(
            "Approved bookings are in the way; cancel or move them first.",
            extra={
                "slot": {"room_id": room_id, "start": _iso(starts_at), "end": _iso(ends_at)},
                "conflicts": [
                    {
                        "booking_id": b.id,
                        "room_id": b.room_id,
                        "status": b.status,
                        "title": b.title,
                        "start": _iso(b.starts_at),
                        "end": _iso(b.ends_at),
                    }
                    for b in firm
                ],
                "alternatives": [],
            },
        )
    block = Block(
        room_id=room_id,
        kind=kind,
        reason=reason.strip(),
        source_ref=source_ref,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by_id=actor.id if actor else None,
    )
    session.add(block)
    session.flush()
    displaced = [b for b in in_the_way if b.status in {s.value for s in PENDING_STATUSES}]
    for booking in displaced:
        claims.release_booking(session, booking.id)  # type: ignore[arg-type]
        booking.displaced_by_block_id = block.id
        _touch(booking)
        session.add(booking)
        audit.record(
            session, actor, "booking.displace", "booking", booking.id, after={"block_id": block.id}
        )
        notify.notify_booking(session, booking, "displaced", local_zone().key, note=block.reason)
    session.flush()
    if not claims.insert_claims(session, claims.block_claims(session, block)):
        raise BookingConflict(
            "A booking took this slot at the same moment; try again.", extra={"alternatives": []}
        )
    audit.record(session, actor, "block.create", "booking_block", block.id, after=block)
    return block, displaced


def remove_block(session: Session, actor: User | None, block_id: int) -> None:
    """Lift a block; requests it displaced get their slot back where it is still free."""
    if actor is not None:
        ensure_role(actor, *STAFF_ROLES)
    block = session.get(Block, block_id)
    if block is None or block.removed_at is not None:
        raise BlockNotFound(block_id)
    before = audit.snapshot(block)
    block.removed_at = utcnow()
    claims.release_block(session, block_id)
    session.add(block)
    session.flush()
    audit.record(
        session, actor, "block.remove", "booking_block", block.id, before=before, after=block
    )
    displaced = session.exec(select(Booking).where(Booking.displaced_by_block_id == block_id))
    for booking in displaced:
        if booking.status not in {s.value for s in PENDING_STATUSES}:
            continue
        room = session.get(Room, booking.room_id)
        assert room is not None
        start, end = claims.buffered_range(room, booking.starts_at, booking.ends_at)
        spaces = rooms_service.atomic_space_ids(session, room.id)  # type: ignore[arg-type]
        in_the_way = claims.find_clashes(
            session,
            spaces,
            start,
            end,
            share_key=booking.id,  # type: ignore[arg-type]
            exclude_booking_id=booking.id,
        )
        if in_the_way:
            other_block = next((c.block_id for c in in_the_way if c.block_id), None)
            if other_block is not None:
                booking.displaced_by_block_id = other_block
                session.add(booking)
            continue
        if claims.insert_claims(session, claims.booking_claims(session, room, booking)):
            booking.displaced_by_block_id = None
            _touch(booking)
            session.add(booking)
            notify.notify_booking(session, booking, "restored", local_zone().key)
    session.flush()


def list_blocks(
    session: Session,
    *,
    room_ids: Sequence[int] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    include_removed: bool = False,
) -> list[Block]:
    query = select(Block)
    if not include_removed:
        query = query.where(col(Block.removed_at).is_(None))
    if room_ids is not None:
        query = query.where(col(Block.room_id).in_(room_ids))
    if start is not None:
        query = query.where(Block.ends_at > start)
    if end is not None:
        query = query.where(Block.starts_at < end)
    return list(session.exec(query.order_by(col(Block.starts_at))))


# --- queries for other domains ---------------------------------------------------------------


def bookings_between(
    session: Session,
    starts_at: datetime,
    ends_at: datetime,
    *,
    room_ids: Sequence[int] | None = None,
    statuses: Iterable[str] | None = None,
) -> list[Booking]:
    """Bookings overlapping [starts_at, ends_at), active ones unless statuses are given."""
    wanted = [str(s) for s in (statuses if statuses is not None else ACTIVE_STATUSES)]
    query = select(Booking).where(
        Booking.starts_at < ends_at, Booking.ends_at > starts_at, col(Booking.status).in_(wanted)
    )
    if room_ids is not None:
        query = query.where(col(Booking.room_id).in_(list(room_ids)))
    return list(session.exec(query.order_by(col(Booking.starts_at), col(Booking.id))))


def booked_hours(session: Session, room_id: int, since: datetime, until: datetime) -> float:
    """Hours the room was in use (its own bookings and those of the halls or parts it shares
    space with), clipped to [since, until): for usage-based maintenance plans."""
    related = rooms_service.related_room_ids(session, room_id)
    total = 0.0
    for booking in bookings_between(
        session, since, until, room_ids=related, statuses=USED_STATUSES
    ):
        overlap = min(booking.ends_at, until) - max(booking.starts_at, since)
        total += max(overlap.total_seconds(), 0.0)
    return total / 3600
