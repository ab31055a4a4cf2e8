"""No presence within N minutes of a booking's start: released as a no-show, as housekeeping would.

The release goes through the booking lifecycle (the one way a status changes), so the existing
rules apply unchanged: the slot's claims are freed, a no-show keeps its rental invoice (the
cancellation schedule's same-day 100 %, recorded as the booking's fee), the renter is told by
e-mail, the managers through the staff channel, and the waitlist job offers the freed time.
Bookings of `no_show_max_hours` or longer (all-day courses) are never released for absence.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from facility.booking import lifecycle, notify, pricing, waitlist
from facility.booking.exceptions import InvalidTransition
from facility.booking.models import Booking, BookingStatus
from facility.core import channels
from facility.core.config import EnergySettings
from facility.core.models import MANAGING_ROLES, User
from facility.energy import presence
from facility.rooms.plan import CampusPlan
from facility.sensors.store import ReadingStore

S = BookingStatus
# Look back no further than this for bookings still to judge (after it, housekeeping has acted).
LOOK_BACK = timedelta(hours=2)
RELEASE_ACTION = "booking.no_show_released"


def due_bookings(session: Session, now: datetime, bounds: EnergySettings) -> list[Booking]:
    """Firm bookings started at least N minutes ago, not checked in, short enough to release."""
    after = timedelta(minutes=bounds.no_show_minutes)
    query = select(Booking).where(
        col(Booking.status).in_([S.approved.value, S.confirmed.value]),
        Booking.starts_at <= now - after,
        Booking.starts_at > now - LOOK_BACK,
        Booking.ends_at > now,
        col(Booking.checked_in_at).is_(None),
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    longest = timedelta(hours=bounds.no_show_max_hours)
    return [b for b in session.exec(query.order_by(col(Booking.starts_at))) if b.ends_at - b.starts_at < longest]


def release_absent(
    session: Session, store: ReadingStore, now: datetime, zone: ZoneInfo, bounds: EnergySettings
) -> list[Booking]:
    """Release each due booking whose room's sensors reported and saw nobody since its start."""
    if bounds.no_show_minutes <= 0:
        return []
    due = due_bookings(session, now, bounds)
    if not due:
        return []
    plan = CampusPlan.load(session)
    spaces = {b.id: sorted({b.room_id, *plan.leaves(b.room_id)}) for b in due}
    sensed = presence.presence_devices(session, sorted({r for ids in spaces.values() for r in ids}))
    released = []
    for booking in due:
        codes = [c for room_id in spaces[booking.id] for c in sensed.get(room_id, [])]
        evidence = presence.read_evidence(store, codes, booking.starts_at, now)
        if evidence.measured and not evidence.present and _release(session, booking, now, zone):
            released.append(booking)
    if released:
        waitlist.offer_freed_slots(session, now)
    session.flush()
    return released


def _release(session: Session, booking: Booking, now: datetime, zone: ZoneInfo) -> bool:
    fee = booking.price_total * pricing.cancellation_percent(booking.starts_at, now, zone) // 100
    minutes = int((now - booking.starts_at).total_seconds() // 60)
    try:
        lifecycle.apply(
            session,
            None,
            booking,
            S.no_show,
            only_from=[S.approved, S.confirmed],
            action=RELEASE_ACTION,
            cancellation_fee=fee,
            status_reason=f"No presence measured {minutes} minutes after the start / 시작 {minutes}분 후 재실 없음",
        )
    except InvalidTransition:
        return False
    notify.notify_booking(session, booking, S.no_show.value, zone.key, note=booking.status_reason)
    _tell_managers(session, booking, zone)
    return True


def _tell_managers(session: Session, booking: Booking, zone: ZoneInfo) -> None:
    managers = session.exec(
        select(User.email).where(col(User.role).in_([r.value for r in MANAGING_ROLES]), col(User.active).is_(True))
    ).all()
    when = booking.starts_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    channels.notify_staff(
        session,
        list(managers),
        subject=f"[미입실 해제 / No-show released] {booking.title[:80]} ({when})",
        body=f"{booking.status_reason}\n/manage/bookings/{booking.id}\n/energy/today",
    )
