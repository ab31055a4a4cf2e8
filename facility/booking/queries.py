"""Reading bookings: one or a page of them for an actor, and the queries other domains use
(bookings in a window, hours of use, a renter's no-shows)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func
from sqlmodel import Session, col, select

from facility.booking.exceptions import BookingNotFound
from facility.booking.models import ACTIVE_STATUSES, Booking, BookingStatus
from facility.core.auth import ensure_role
from facility.core.db import utcnow
from facility.core.i18n import gettext as _
from facility.core.models import Organization, OrgStatus, User
from facility.rooms import service as rooms_service
from facility.rooms.models import Building, Room

S = BookingStatus
# Statuses that count as use of a room (maintenance plans by hours of use, utilisation).
USED_STATUSES = frozenset({S.approved, S.confirmed, S.checked_in, S.completed})


def get_booking(session: Session, actor: User, booking_id: int, *, lock: bool = False) -> Booking:
    """A booking the actor may see: staff see all, renters their organisation's (else 404).

    `lock` reads it `FOR UPDATE` (PostgreSQL; SQLite's writer already holds the database): a flow
    that decides on the status (a fee, an invoice) then decides on the current one, not a stale one.
    """
    ensure_role(actor)
    booking = session.get(Booking, booking_id, with_for_update=lock or None, populate_existing=lock)
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


def no_show_count(session: Session, organization_id: int) -> int:
    return session.exec(
        select(func.count()).where(Booking.organization_id == organization_id, Booking.status == S.no_show.value)
    ).one()


def rooms_by_id(session: Session) -> dict[int, Room]:
    """Every room by id, in code order (the console's labels and forms)."""
    return {r.id: r for r in session.exec(select(Room).order_by(col(Room.code)))}  # type: ignore[misc]


def buildings_in_order(session: Session) -> list[Building]:
    return list(session.exec(select(Building).order_by(col(Building.sort_order), col(Building.code))))


def rooms_in_building(session: Session, building_id: int | None) -> list[Room]:
    return list(session.exec(select(Room).where(Room.building_id == (building_id or -1)).order_by(col(Room.code))))


def organizations_by_id(session: Session, ids: set[int]) -> dict[int, Organization]:
    if not ids:
        return {}
    found = session.exec(select(Organization).where(col(Organization.id).in_(ids)))
    return {o.id: o for o in found}  # type: ignore[misc]


def count_waiting_organizations(session: Session) -> int:
    """Organisations that signed up and wait for a manager's approval before they can book."""
    waiting = select(func.count()).select_from(Organization).where(Organization.status == OrgStatus.pending.value)
    return session.exec(waiting).one()


def booking_contact(session: Session, booking: Booking) -> tuple[Organization | None, User | None]:
    """The renter organisation and the person who asked for the booking (the manager calls them)."""
    org = session.get(Organization, booking.organization_id) if booking.organization_id else None
    return org, session.get(User, booking.user_id) if booking.user_id else None


class MyBookingsView(StrEnum):
    upcoming = "upcoming"
    past = "past"
    cancelled = "cancelled"


# Bookings that no longer hold a slot: the "cancelled" tab of a renter's list, hidden elsewhere.
ENDED_STATUSES = frozenset({S.cancelled.value, S.rejected.value, S.expired.value})


def my_bookings(
    session: Session, actor: User, view: MyBookingsView, now: datetime, *, limit: int = 500
) -> list[Booking]:
    """A renter's list: upcoming soonest first, past latest first, cancelled (and rejected or
    expired) latest first; each tab leaves out the others."""
    rows, _total = list_bookings(session, actor, limit=limit)
    if view == MyBookingsView.cancelled:
        return sorted((b for b in rows if b.status in ENDED_STATUSES), key=lambda b: b.starts_at, reverse=True)
    live = [b for b in rows if b.status not in ENDED_STATUSES]
    if view == MyBookingsView.past:
        return sorted((b for b in live if b.ends_at <= now), key=lambda b: b.starts_at, reverse=True)
    return [b for b in live if b.ends_at > now]


def withdrawal_blocker(session: Session, user: User) -> str | None:
    """Why `user` may not withdraw yet: bookings they made that are still to come (cancel them first,
    so nobody turns up under an erased name)."""
    upcoming = session.exec(
        select(func.count())
        .select_from(Booking)
        .where(
            Booking.user_id == user.id,
            col(Booking.status).in_([s.value for s in ACTIVE_STATUSES]),
            Booking.ends_at > utcnow(),
        )
    ).one()
    if upcoming:
        return _("Cancel your {n} upcoming bookings before withdrawing.", n=upcoming)
    return None
