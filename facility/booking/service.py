"""Bookings: the one request path, the lifecycle, housekeeping, and queries other domains use.

The rules a request must meet are in `checks`, Institute blocks in `blocks`, the friendly 409 in
`alternatives`; the database decides conflicts (see `claims`). Services flush, never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from facility.booking import claims, notify, pricing, rules
from facility.booking.alternatives import conflict_error, suggest_alternatives
from facility.booking.blocks import list_blocks, place_block, remove_block
from facility.booking.checks import check_quota, check_rules, monthly_quota_hours
from facility.booking.common import local_zone
from facility.booking.common import touch as _touch
from facility.booking.exceptions import BookingNotFound, InvalidTransition
from facility.booking.models import ACTIVE_STATUSES, Booking, BookingStatus
from facility.booking.schemas import BookingCreate
from facility.core import audit
from facility.core.auth import ensure_role
from facility.core.db import utcnow
from facility.core.errors import Forbidden, InvalidInput
from facility.core.models import MANAGING_ROLES, Organization, User
from facility.rooms import service as rooms_service
from facility.rooms.exceptions import RoomNotFound
from facility.rooms.models import Room

# Part of this module's interface (other domains and the API call them as service.*).
__all__ = [
    "bookings_between",
    "booked_hours",
    "cancel_booking",
    "check_quota",
    "check_rules",
    "conflict_error",
    "list_blocks",
    "local_zone",
    "monthly_quota_hours",
    "place_block",
    "remove_block",
    "request_booking",
    "suggest_alternatives",
]

S = BookingStatus
# Statuses that count as use of a room (maintenance plans by hours of use, utilisation).
USED_STATUSES = frozenset({S.approved, S.confirmed, S.checked_in, S.completed})


# --- the request path ----------------------------------------------------------------------


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
    raise conflict_error(session, room, booking.starts_at, booking.ends_at, booking.attendees, clashes, viewer=viewer)


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
        raise conflict_error(session, room, starts_at, ends_at, data.attendees, clashes, viewer=actor)
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
    rows = session.exec(query.order_by(col(Booking.starts_at), col(Booking.id)).limit(limit).offset(offset))
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
    audit.record(session, actor, f"booking.{to.value}", "booking", booking.id, before=before, after=booking)
    notify.notify_booking(session, booking, event or to.value, local_zone().key, note=reason)
    if free:
        from facility.booking import waitlist

        waitlist.offer_freed_slot(session, booking.room_id, booking.starts_at, booking.ends_at)
    return booking


def submit_hold(session: Session, actor: User, booking_id: int, *, now: datetime | None = None) -> Booking:
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
    return _transition(session, actor, booking, S.rejected, [S.requested, S.held], reason=reason.strip(), free=True)


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


def check_in(session: Session, actor: User, booking_id: int, *, now: datetime | None = None) -> Booking:
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
    audit.record(session, actor, "booking.move", "booking", booking.id, before=before, after=booking)
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


def expire_holds(session: Session, now: datetime, *, limit: int = 200) -> int:
    """Holds past their expiry free their slot."""
    due = _lock_candidates(
        session,
        select(Booking).where(Booking.status == S.held.value, col(Booking.hold_expires_at) < now).limit(limit),
    )
    for booking in due:
        _transition(session, None, booking, S.expired, [S.held], free=True)
    return len(due)


def release_no_shows(session: Session, now: datetime, *, limit: int = 200) -> int:
    """Approved or confirmed bookings not checked in within the grace period are released."""
    due = _lock_candidates(
        session,
        select(Booking)
        .where(
            col(Booking.status).in_([S.approved.value, S.confirmed.value]),
            Booking.starts_at < now - rules.CHECK_IN_GRACE,
        )
        .limit(limit),
    )
    for booking in due:
        _transition(session, None, booking, S.no_show, [S.approved, S.confirmed], free=True)
    return len(due)


def complete_finished(session: Session, now: datetime) -> int:
    due = _lock_candidates(
        session,
        select(Booking).where(Booking.status == S.checked_in.value, Booking.ends_at <= now).limit(500),
    )
    for booking in due:
        before = audit.snapshot(booking)
        booking.status = S.completed.value
        _touch(booking)
        session.add(booking)
        audit.record(session, None, "booking.completed", "booking", booking.id, before=before, after=booking)
    session.flush()
    return len(due)


# The request path does a little housekeeping only; the scheduler's jobs take larger batches.
LAZY_BATCH = 20


def housekeeping(session: Session, now: datetime) -> None:
    """Expire holds and release no-shows now, rather than wait for the scheduler's next tick."""
    expire_holds(session, now, limit=LAZY_BATCH)
    release_no_shows(session, now, limit=LAZY_BATCH)


def no_show_count(session: Session, organization_id: int) -> int:
    return session.exec(
        select(func.count()).where(Booking.organization_id == organization_id, Booking.status == S.no_show.value)
    ).one()


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
    for booking in bookings_between(session, since, until, room_ids=related, statuses=USED_STATUSES):
        overlap = min(booking.ends_at, until) - max(booking.starts_at, since)
        total += max(overlap.total_seconds(), 0.0)
    return total / 3600
