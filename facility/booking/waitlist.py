"""The waitlist: renters queue for a taken slot; when it frees up, the first in line gets a hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from facility.booking.exceptions import BookingConflict
from facility.booking.models import WaitlistEntry, WaitlistStatus
from facility.core import audit
from facility.core.auth import ensure_role
from facility.core.errors import FacilityError, InvalidInput, NotFound
from facility.core.models import Role, User

# A waitlisted renter has longer than an ordinary hold to answer the offer.
OFFER_HOLD_TTL = timedelta(hours=24)


def join_waitlist(
    session: Session,
    actor: User,
    *,
    room_id: int,
    starts_at: datetime,
    ends_at: datetime,
    title: str,
    attendees: int,
) -> WaitlistEntry:
    ensure_role(actor, Role.renter)
    starts_at, ends_at = starts_at.astimezone(UTC), ends_at.astimezone(UTC)
    if ends_at <= starts_at:
        raise InvalidInput("The end must be after the start.")
    entry = WaitlistEntry(
        room_id=room_id,
        organization_id=actor.organization_id,
        user_id=actor.id,  # type: ignore[arg-type]
        title=title.strip(),
        attendees=attendees,
        starts_at=starts_at,
        ends_at=ends_at,
    )
    session.add(entry)
    session.flush()
    audit.record(session, actor, "waitlist.join", "waitlist_entry", entry.id, after=entry)
    return entry


def leave_waitlist(session: Session, actor: User, entry_id: int) -> WaitlistEntry:
    entry = session.get(WaitlistEntry, entry_id)
    if entry is None or (not actor.is_staff and entry.organization_id != actor.organization_id):
        raise NotFound("No such waitlist entry.")
    entry.status = WaitlistStatus.cancelled.value
    session.add(entry)
    session.flush()
    audit.record(session, actor, "waitlist.leave", "waitlist_entry", entry.id, after=entry)
    return entry


def list_entries(session: Session, actor: User) -> list[WaitlistEntry]:
    ensure_role(actor)
    query = select(WaitlistEntry).order_by(col(WaitlistEntry.created_at))
    if not actor.is_staff:
        query = query.where(WaitlistEntry.organization_id == actor.organization_id)
    return list(session.exec(query))


def offer_freed_slot(session: Session, room_id: int, starts_at: datetime, ends_at: datetime) -> None:
    """Give the first waiting renter whose slot is now free a hold, and tell them."""
    from facility.booking import notify, service

    waiting = session.exec(
        select(WaitlistEntry)
        .where(
            WaitlistEntry.room_id == room_id,
            WaitlistEntry.status == WaitlistStatus.waiting.value,
            WaitlistEntry.starts_at < ends_at,
            WaitlistEntry.ends_at > starts_at,
        )
        .order_by(col(WaitlistEntry.created_at), col(WaitlistEntry.id))
    ).all()
    for entry in waiting:
        user = session.get(User, entry.user_id)
        if user is None or not user.active:
            entry.status = WaitlistStatus.lapsed.value
            session.add(entry)
            continue
        try:
            with session.begin_nested():
                booking = service.request_booking(
                    session,
                    user,
                    {
                        "room_id": room_id,
                        "start": entry.starts_at,
                        "end": entry.ends_at,
                        "title": entry.title,
                        "attendees": entry.attendees,
                        "hold": True,
                    },
                    notify_people=False,
                    housekeep=False,
                    hold_ttl=OFFER_HOLD_TTL,
                )
        except BookingConflict:
            continue
        except FacilityError:
            entry.status = WaitlistStatus.lapsed.value
            session.add(entry)
            continue
        entry.status = WaitlistStatus.offered.value
        entry.booking_id = booking.id
        session.add(entry)
        session.flush()
        audit.record(session, None, "waitlist.offer", "waitlist_entry", entry.id, after=entry)
        notify.notify_booking(session, booking, "waitlist_offer", service.local_zone().key)
        return
    session.flush()
