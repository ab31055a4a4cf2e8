"""Recurring bookings: an RRULE in local wall-clock time, a per-occurrence conflict report before
submitting, and edits or cancellations of one occurrence, this and following, or the whole series.

Occurrences are computed in Asia/Seoul wall-clock time and converted to UTC one by one, so a weekly
10:00 stays 10:00 whatever the date. An occurrence deleted from a series is recorded in `exdates`
and never comes back, whatever later edits do.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlmodel import Session, col, select

from facility.booking import claims, common, flows, queries, rules, service
from facility.booking.common import iso
from facility.booking.exceptions import BookingConflict, InvalidTransition
from facility.booking.models import ACTIVE_STATUSES, Booking, BookingSeries, BookingStatus
from facility.booking.recurrence import expand, occurrence_key
from facility.booking.schemas import SeriesCreate
from facility.core import audit
from facility.core.auth import ensure_role
from facility.core.db import utcnow
from facility.core.errors import FacilityError, InvalidInput, NotFound
from facility.core.i18n import gettext as _
from facility.core.models import MANAGING_ROLES, User
from facility.rooms import service as rooms_service
from facility.rooms.exceptions import RoomNotFound
from facility.rooms.models import Room

S = BookingStatus


class Scope(StrEnum):
    one = "one"
    following = "following"
    all = "all"


def _occurrences(data: SeriesCreate) -> tuple[list[datetime], timedelta]:
    zone = common.local_zone()
    first = data.start.astimezone(zone)
    length = data.end.astimezone(zone) - first
    if length <= timedelta(0):
        raise InvalidInput(_("The end must be after the start."))
    exdates = [occurrence_key(datetime.combine(d, first.timetz().replace(tzinfo=None))) for d in data.exdates]
    return expand(data.rrule, first, exdates=exdates), length


def conflict_report(session: Session, actor: User, data: SeriesCreate) -> list[dict[str, Any]]:
    """For each occurrence: free, or why not (a rule, or what is in the way), without booking."""
    ensure_role(actor)
    room = session.get(Room, data.room_id)
    if room is None:
        raise RoomNotFound(data.room_id)
    starts, length = _occurrences(data)
    spaces = rooms_service.atomic_space_ids(session, room.id)  # type: ignore[arg-type]
    organization_id = None if actor.is_staff else actor.organization_id
    report = []
    now = utcnow()
    for local_start in starts:
        start, end = local_start.astimezone(UTC), (local_start + length).astimezone(UTC)
        entry: dict[str, Any] = {
            "start": local_start.isoformat(),
            "end": (local_start + length).isoformat(),
            "key": occurrence_key(local_start),
            "ok": True,
            "code": "",
            "detail": "",
        }
        try:
            rules.check_rules(
                session,
                actor,
                room,
                start,
                end,
                attendees=data.attendees,
                layout=None,
                now=now,
                organization_id=organization_id,
            )
        except FacilityError as error:
            entry.update(ok=False, code=error.code, detail=error.message)
        else:
            lo, hi = claims.buffered_range(room, start, end)
            clashes = claims.find_clashes(session, spaces, lo, hi, share_key=-1)
            if clashes:
                entry.update(
                    ok=False,
                    code="conflict",
                    detail=_("This slot is already taken."),
                    conflicts=[
                        {
                            "kind": "block" if c.block_id else "booking",
                            "start": iso(c.starts_at),
                            "end": iso(c.ends_at),
                        }
                        for c in clashes
                    ],
                )
        report.append(entry)
    # The monthly quota counts the whole series; report it on the first occurrence it breaks.
    if organization_id is not None and not actor.is_staff:
        _quota_report(session, organization_id, report, length)
    return report


def _quota_report(session: Session, organization_id: int, report: list[dict[str, Any]], length: timedelta) -> None:
    zone = common.local_zone()
    limit = rules.monthly_quota_hours(session, organization_id)
    extra_by_month: dict[tuple[int, int], float] = {}
    for entry in report:
        if not entry["ok"]:
            continue
        local = datetime.fromisoformat(entry["start"]).astimezone(zone)
        month = (local.year, local.month)
        if month not in extra_by_month:
            first = datetime(local.year, local.month, 1, tzinfo=zone)
            following = datetime(local.year + local.month // 12, local.month % 12 + 1, 1, tzinfo=zone)
            used = sum(
                (b.ends_at - b.starts_at).total_seconds() / 3600
                for b in queries.bookings_between(session, first, following)
                if b.organization_id == organization_id and b.starts_at >= first
            )
            extra_by_month[month] = used
        extra_by_month[month] += length.total_seconds() / 3600
        if extra_by_month[month] > limit:
            entry.update(
                ok=False,
                code="quota_exceeded",
                detail=f"Over the organisation's quota of {limit} h in {month[0]}-{month[1]:02d}.",
            )


def create_series(
    session: Session, actor: User, data: SeriesCreate
) -> tuple[BookingSeries, list[Booking], list[dict[str, Any]]]:
    """Request every occurrence; any unavailable one refuses the whole series unless
    `skip_conflicts`, in which case only the free occurrences are requested."""
    ensure_role(actor, *service.BOOKING_ROLES)
    report = conflict_report(session, actor, data)
    blocked = [e for e in report if not e["ok"]]
    if blocked and not data.skip_conflicts:
        raise BookingConflict(
            f"{len(blocked)} of {len(report)} occurrences cannot be booked.",
            extra={"occurrences": report, "alternatives": []},
        )
    if len(blocked) == len(report):
        raise BookingConflict(_("No occurrence can be booked."), extra={"occurrences": report, "alternatives": []})
    zone = common.local_zone()
    first = data.start.astimezone(zone)
    length = data.end.astimezone(zone) - first
    series = BookingSeries(
        room_id=data.room_id,
        organization_id=None if actor.is_staff else actor.organization_id,
        user_id=actor.id,
        title=data.title.strip(),
        attendees=data.attendees,
        rrule=data.rrule.strip(),
        first_starts_at=first.astimezone(UTC),
        duration_minutes=int(length.total_seconds() // 60),
        exdates=[occurrence_key(datetime.combine(d, first.timetz().replace(tzinfo=None))) for d in data.exdates],
    )
    session.add(series)
    session.flush()
    bookings = []
    for entry in report:
        if not entry["ok"]:
            continue
        start = datetime.fromisoformat(entry["start"])
        bookings.append(
            service.request_booking(
                session,
                actor,
                {
                    "room_id": data.room_id,
                    "start": start,
                    "end": start + length,
                    "title": data.title,
                    "attendees": data.attendees,
                },
                series_id=series.id,
                occurrence_key=entry["key"],
                notify_people=False,
            )
        )
    audit.record(session, actor, "series.create", "booking_series", series.id, after=series)
    return series, bookings, report


def get_series(session: Session, actor: User, series_id: int) -> tuple[BookingSeries, list[Booking]]:
    ensure_role(actor)
    series = session.get(BookingSeries, series_id)
    if series is None or (not actor.is_staff and series.organization_id != actor.organization_id):
        raise NotFound(_("No such series."))
    rows = session.exec(select(Booking).where(Booking.series_id == series_id).order_by(col(Booking.starts_at))).all()
    return series, list(rows)


def _scope_bookings(session: Session, actor: User, booking_id: int, scope: Scope) -> tuple[Booking, list[Booking]]:
    booking = queries.get_booking(session, actor, booking_id)
    if scope == Scope.one or booking.series_id is None:
        return booking, [booking]
    _series, rows = get_series(session, actor, booking.series_id)
    active = {s.value for s in ACTIVE_STATUSES - {BookingStatus.checked_in, BookingStatus.completed}}
    rows = [b for b in rows if b.status in active]
    if scope == Scope.following:
        rows = [b for b in rows if b.starts_at >= booking.starts_at]
    else:
        now = utcnow()
        rows = [b for b in rows if b.starts_at >= now]
    return booking, rows


def cancel(session: Session, actor: User, booking_id: int, scope: Scope, reason: str = "") -> list[Booking]:
    """Cancel one occurrence (it stays deleted), this and following, or all future ones."""
    booking, targets = _scope_bookings(session, actor, booking_id, scope)
    cancelled = []
    for target in targets:
        # The booking asked for must still be cancellable (a repeated cancel is a 409); the rest of
        # its series is cancelled where it is still active.
        if (scope == Scope.one and target.id == booking.id) or target.status in {s.value for s in ACTIVE_STATUSES}:
            cancelled.append(flows.cancel_booking(session, actor, target.id, reason))  # type: ignore[arg-type]
    if booking.series_id is not None:
        series = session.get(BookingSeries, booking.series_id)
        assert series is not None
        before = audit.snapshot(series)
        keys = {t.occurrence_key for t in targets if t.occurrence_key}
        series.exdates = sorted(set(series.exdates) | keys)
        if scope == Scope.all:
            series.active = False
        elif scope == Scope.following:
            # End the rule before this occurrence, so it cannot produce it again.
            original = (
                datetime.fromisoformat(booking.occurrence_key)
                if booking.occurrence_key
                else booking.starts_at.astimezone(common.local_zone())
            )
            until = original - timedelta(minutes=1)
            series.rrule = _with_until(series.rrule, until)
        session.add(series)
        session.flush()
        audit.record(
            session,
            actor,
            f"series.cancel_{scope.value}",
            "booking_series",
            series.id,
            before=before,
            after=series,
        )
    return cancelled


def _with_until(rule: str, until_local: datetime) -> str:
    parts = [p for p in rule.removeprefix("RRULE:").split(";") if p and not p.upper().startswith(("UNTIL=", "COUNT="))]
    parts.append(f"UNTIL={until_local.replace(tzinfo=None):%Y%m%dT%H%M%S}")
    return ";".join(parts)


def move(
    session: Session,
    actor: User,
    booking_id: int,
    scope: Scope,
    *,
    start_time: time,
    end_time: time,
    day: date | None = None,
) -> list[Booking]:
    """New local times for one occurrence (optionally on another day), this and following, or all
    future ones; one conflict refuses the whole edit."""
    booking, targets = _scope_bookings(session, actor, booking_id, scope)
    if scope != Scope.one and day is not None:
        raise InvalidInput(_("Only a single occurrence can move to another day."))
    zone = common.local_zone()
    moved = []
    for target in targets:
        local_day = day if (day is not None and target.id == booking.id) else target.starts_at.astimezone(zone).date()
        start = datetime.combine(local_day, start_time, tzinfo=zone)
        end = datetime.combine(local_day, end_time, tzinfo=zone)
        try:
            moved.append(service.move_booking(session, actor, target.id, start, end))  # type: ignore[arg-type]
        except BookingConflict as error:
            raise BookingConflict(
                f"The occurrence on {local_day} conflicts; nothing was changed.", extra=error.extra
            ) from None
        except InvalidTransition:
            continue
    return moved


def decide_series(session: Session, actor: User, series_id: int, *, approve: bool, reason: str = "") -> list[Booking]:
    """Approve or reject every occurrence still waiting for a decision, in one transaction.

    The series row is locked first, so of several managers deciding at once one acts and the
    others find nothing pending (409). A request an Institute block displaced is left for a move
    when approving; rejecting takes it too.
    """
    ensure_role(actor, *MANAGING_ROLES)
    if not approve and not reason.strip():
        raise InvalidInput(_("Give a reason for the rejection."))
    found = session.get(BookingSeries, series_id, with_for_update=True, populate_existing=True)
    if found is None:
        raise NotFound(_("No such series."))
    rows = session.exec(
        select(Booking)
        .where(Booking.series_id == series_id, col(Booking.status).in_([S.requested.value, S.held.value]))
        .order_by(col(Booking.starts_at))
        .execution_options(populate_existing=True)
    ).all()
    waiting = [b for b in rows if not (approve and b.displaced_by_block_id is not None)]
    if not waiting:
        raise InvalidTransition(_("No occurrence of this series is waiting for a decision."))
    decided = [
        flows.approve_booking(session, actor, b.id)  # type: ignore[arg-type]
        if approve
        else flows.reject_booking(session, actor, b.id, reason)  # type: ignore[arg-type]
        for b in waiting
    ]
    action = "series.approve" if approve else "series.reject"
    audit.record(session, actor, action, "booking_series", series_id, after={"bookings": [b.id for b in decided]})
    return decided
