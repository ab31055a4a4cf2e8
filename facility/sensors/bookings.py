"""Bookings meet sensors: comfort rules only during bookings, likely no-shows, rooms occupied
without a booking, and managers told of alerts by e-mail (through core's outbox)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from facility.booking import blocks as booking_blocks
from facility.booking import queries as booking_queries
from facility.booking.models import BookingStatus
from facility.core import channels
from facility.core.config import Settings
from facility.core.db import session_scope
from facility.core.i18n import gettext as _
from facility.core.models import MANAGING_ROLES, User
from facility.rooms import service as rooms_service
from facility.sensors import alert_work
from facility.sensors.models import Alert, Device
from facility.sensors.store import ReadingStore, StoreUnavailable, open_store

log = logging.getLogger(__name__)
# Firm bookings: the room is expected to be in use.
IN_USE = (BookingStatus.approved.value, BookingStatus.confirmed.value, BookingStatus.checked_in.value)
# Nobody measured this long after the start: likely a no-show (booking releases at 30 min).
NO_SHOW_AFTER = timedelta(minutes=15)
# An occupancy value older than this says nothing about now.
FRESH = timedelta(minutes=15)
NOTIFY_SEVERITIES = frozenset({"warning", "critical"})


def room_in_use(session: Session, room_id: int, ts: datetime) -> bool:
    """A firm booking or an Institute block holds the room (or a hall it is part of) at `ts`."""
    related = rooms_service.related_room_ids(session, room_id)
    end = ts + timedelta(seconds=1)
    if booking_queries.bookings_between(session, ts, end, room_ids=related, statuses=IN_USE):
        return True
    return bool(booking_blocks.list_blocks(session, room_ids=related, start=ts, end=end))


def rooms_in_use(session: Session, at: datetime) -> set[int]:
    """Rooms held at `at` by a firm booking or a block (for the simulator's occupancy)."""
    end = at + timedelta(seconds=1)
    held = {b.room_id for b in booking_queries.bookings_between(session, at, end, statuses=IN_USE)}
    held |= {b.room_id for b in booking_blocks.list_blocks(session, start=at, end=end)}
    for room_id in list(held):  # booking a whole hall fills its parts
        held.update(rooms_service.atomic_space_ids(session, room_id))
    return held


def _occupancy_devices(session: Session) -> dict[int, list[str]]:
    rows = session.exec(
        select(Device.room_id, Device.code).where(
            col(Device.room_id).is_not(None), col(Device.metrics).contains("occupancy")
        )
    )
    found: dict[int, list[str]] = {}
    for room_id, code in rows:
        found.setdefault(room_id, []).append(code)  # type: ignore[arg-type]
    return found


def _active(session: Session, rule: str, room_id: int) -> Alert | None:
    return session.exec(
        select(Alert).where(Alert.rule == rule, Alert.room_id == room_id, Alert.state == "active")
    ).first()


def _raise(session: Session, rule: str, room_id: int, message: str, now: datetime) -> Alert:
    alert = Alert(rule=rule, room_id=room_id, metric="occupancy", severity="info", message=message, raised_at=now)
    session.add(alert)
    session.flush()
    return alert


def _clear(alert: Alert | None, now: datetime, session: Session) -> None:
    if alert is not None:
        alert.state, alert.cleared_at = "cleared", now
        session.add(alert)


def flag_bookings_against_occupancy(session: Session, store: ReadingStore, now: datetime) -> list[Alert]:
    """Raise (once) or clear `likely_no_show` and `occupied_unbooked` for rooms with sensors."""
    sensed = _occupancy_devices(session)
    if not sensed:
        return []
    raised: list[Alert] = []
    bookings = booking_queries.bookings_between(
        session, now - timedelta(seconds=1), now, room_ids=list(sensed), statuses=IN_USE
    )
    booked_rooms = {b.room_id for b in bookings}
    for booking in bookings:
        existing = _active(session, "likely_no_show", booking.room_id)
        if booking.checked_in_at or now - booking.starts_at < NO_SHOW_AFTER:
            _clear(existing, now, session)
            continue
        points = store.series(sensed[booking.room_id], "occupancy", booking.starts_at, now, None)
        if points and not any(p.value >= 0.5 for p in points) and existing is None:
            raised.append(
                _raise(
                    session,
                    "likely_no_show",
                    booking.room_id,
                    f"Booking {booking.id} ({booking.title[:80]}): nobody present "
                    f"{int(NO_SHOW_AFTER.total_seconds() // 60)} minutes after the start",
                    now,
                )
            )
        elif points and any(p.value >= 0.5 for p in points):
            _clear(existing, now, session)
    for alert in session.exec(select(Alert).where(Alert.rule == "likely_no_show", Alert.state == "active")):
        if alert.room_id not in booked_rooms:
            _clear(alert, now, session)  # the booking ended, moved or was released
    latest = {(x.device, x.metric): x for x in store.latest([c for cs in sensed.values() for c in cs])}
    for room_id, codes in sensed.items():
        values = [latest[(c, "occupancy")] for c in codes if (c, "occupancy") in latest]
        occupied = any(v.value >= 0.5 and now - v.ts <= FRESH for v in values)
        existing = _active(session, "occupied_unbooked", room_id)
        unbooked = room_id not in booked_rooms and not (occupied and room_in_use(session, room_id, now))
        if occupied and unbooked and existing is None:
            raised.append(
                _raise(session, "occupied_unbooked", room_id, "People present with no booking or Institute block", now)
            )
        elif not (occupied and unbooked):
            _clear(existing, now, session)
    session.flush()
    return raised


def flag_job(engine: Engine, settings: Settings, now: datetime) -> int:
    """Scheduler job: compare bookings with measured occupancy."""
    store = open_store(settings)
    try:
        with session_scope(engine) as session:
            return len(flag_bookings_against_occupancy(session, store, now))
    except StoreUnavailable as error:
        log.warning("bookings vs occupancy skipped: %s", error)
        return 0
    finally:
        store.close()


def notify_managers(session: Session, alerts: Sequence[Alert]) -> int:
    """One e-mail per raised warning or critical alert to every active manager (outbox)."""
    raised = [a for a in alerts if a.state == "active" and a.severity in NOTIFY_SEVERITIES]
    if not raised:
        return 0
    managers = session.exec(
        select(User.email).where(col(User.role).in_([r.value for r in MANAGING_ROLES]), col(User.active).is_(True))
    ).all()
    sent = 0
    for alert in raised:
        subject, body = alert_work.alert_email(session, alert, _("Facility alert"))
        sent += len(channels.notify_staff(session, managers, subject=subject, body=body))
    return sent


def booked_intervals(session: Session, room_id: int, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """When firm bookings or blocks held the room (or a hall it is part of) in [start, end): the
    shaded bands under its occupancy chart."""
    related = rooms_service.related_room_ids(session, room_id)
    held = [
        (b.starts_at, b.ends_at)
        for b in booking_queries.bookings_between(session, start, end, room_ids=related, statuses=IN_USE)
    ]
    held += [
        (b.starts_at, b.ends_at) for b in booking_blocks.list_blocks(session, room_ids=related, start=start, end=end)
    ]
    return sorted(held)
