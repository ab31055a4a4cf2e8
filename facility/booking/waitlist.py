"""The waitlist: renters queue for a taken slot; when it frees up, the first in line gets a hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from facility.booking import claims, notify, service
from facility.booking.common import local_zone
from facility.booking.exceptions import BookingConflict
from facility.booking.models import WaitlistEntry, WaitlistStatus
from facility.core import audit
from facility.core.auth import ensure_role
from facility.core.errors import Conflict, FacilityError, Forbidden, InvalidInput, NotFound
from facility.core.i18n import gettext as _
from facility.core.models import Role, User
from facility.rooms import service as rooms_service
from facility.rooms.models import Room

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
        raise InvalidInput(_("The end must be after the start."))
    entry = WaitlistEntry(
        room_id=room_id,
        organization_id=actor.organization_id,
        user_id=actor.id,  # type: ignore[arg-type]
        title=title.strip(),
        attendees=attendees,
        starts_at=starts_at,
        ends_at=ends_at,
    )
    try:
        with session.begin_nested():
            session.add(entry)
            session.flush()
    except IntegrityError as error:
        if "unique" not in str(error.orig).lower():
            raise
        # uq_waitlist_live_slot: the organisation already waits for this slot.
        raise Conflict(
            _("Your organisation is already on the waitlist for this slot."), code="already_waiting"
        ) from error
    audit.record(session, actor, "waitlist.join", "waitlist_entry", entry.id, after=entry)
    return entry


def leave_waitlist(session: Session, actor: User, entry_id: int) -> WaitlistEntry:
    ensure_role(actor)
    entry = session.get(WaitlistEntry, entry_id, with_for_update=True, populate_existing=True)
    if entry is None or (not actor.is_staff and entry.organization_id != actor.organization_id):
        raise NotFound(_("No such waitlist entry."))
    if actor.is_staff and not actor.is_manager:
        raise Forbidden(_("Only managers and the renter may change a waitlist entry."))
    if entry.status not in {WaitlistStatus.waiting.value, WaitlistStatus.offered.value}:
        raise Conflict(_("This waitlist entry has already ended."))
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


def offer_freed_slots(session: Session, now: datetime, *, limit: int = 200) -> int:
    """The waitlist job: each slot that has come free goes to the first renter waiting for it, as
    a hold they have a day to turn into a request. Entries whose time has passed lapse."""
    lapsed = session.exec(
        select(WaitlistEntry).where(
            WaitlistEntry.status == WaitlistStatus.waiting.value, WaitlistEntry.starts_at <= now
        )
    ).all()
    for entry in lapsed:
        entry.status = WaitlistStatus.lapsed.value
        session.add(entry)
    waiting = session.exec(
        select(WaitlistEntry)
        .where(WaitlistEntry.status == WaitlistStatus.waiting.value, WaitlistEntry.starts_at > now)
        .order_by(col(WaitlistEntry.created_at), col(WaitlistEntry.id))
        .limit(limit)
    ).all()
    offered = sum(_offer(session, entry, now) for entry in waiting)
    session.flush()
    return offered


def _offer(session: Session, entry: WaitlistEntry, now: datetime) -> bool:
    """Hold the entry's slot for its renter if it is free now; True when an offer was made."""
    room = session.get(Room, entry.room_id)
    user = session.get(User, entry.user_id)
    if room is None or user is None or not user.active:
        entry.status = WaitlistStatus.lapsed.value
        session.add(entry)
        return False
    start, end = claims.buffered_range(room, entry.starts_at, entry.ends_at)
    if claims.find_clashes(session, rooms_service.atomic_space_ids(session, room.id), start, end, share_key=-1):  # type: ignore[arg-type]
        return False
    try:
        with session.begin_nested():
            booking = service.request_booking(
                session,
                user,
                {
                    "room_id": entry.room_id,
                    "start": entry.starts_at,
                    "end": entry.ends_at,
                    "title": entry.title,
                    "attendees": entry.attendees,
                    "hold": True,
                },
                now=now,
                notify_people=False,
                hold_ttl=OFFER_HOLD_TTL,
            )
    except BookingConflict:
        return False
    except FacilityError:
        entry.status = WaitlistStatus.lapsed.value
        session.add(entry)
        return False
    entry.status = WaitlistStatus.offered.value
    entry.booking_id = booking.id
    session.add(entry)
    session.flush()
    audit.record(session, None, "waitlist.offer", "waitlist_entry", entry.id, after=entry)
    notify.notify_booking(session, booking, "waitlist_offer", local_zone().key)
    return True
