"""Comfort windows from the database: which bookings, series and blocks count, each room's rules.

The windows themselves are pure (`windows.py`); this module reads what they are computed from in a
few set-wise queries, so a thousand rooms cost the same handful of statements as one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select as sa_select
from sqlalchemy import true
from sqlmodel import Session, col, select

from facility.booking.models import Block, BlockKind, Booking, BookingStatus
from facility.core.auth import ensure_role
from facility.core.config import EnergySettings
from facility.core.models import STAFF_ROLES, User
from facility.energy.kinds import KIND_RULES, EnergyKind, WindowRules, energy_kind
from facility.energy.models import RoomEnergySetting
from facility.energy.windows import (
    DAY,
    ComfortWindow,
    Occupation,
    Segment,
    comfort_windows,
    day_timeline,
    local_bounds,
)
from facility.rooms import service as rooms_service
from facility.rooms.models import Room
from facility.rooms.plan import CampusPlan

S = BookingStatus
# Firm bookings condition the room; an approved one only when it is an occurrence of an approved
# series (a one-off approval still waits for payment, and Events2HVAC's lesson is to act on
# confirmed events only). A released no-show or a cancellation is simply not here any more.
FIRM = (S.confirmed.value, S.checked_in.value, S.completed.value)
READ_STATUSES = (*FIRM, S.approved.value, S.no_show.value)
# A released no-show conditions nothing, but its day stays in economy rather than protection.
RELEASED = "no_show"


# Beyond this many rooms a query reads every row and the caller keeps its own: a thousand bound
# parameters cost the driver more to send than the few rows more cost to read.
MANY_ROOMS = 100


def among(column: Any, ids: Sequence[int]) -> Any:
    """`column IN ids`, or no condition for many rooms (the caller keeps only its rooms' rows)."""
    return column.in_(list(ids)) if len(ids) <= MANY_ROOMS else true()


@dataclass(frozen=True)
class RoomDay:
    """One room's day: its rules, the lead in force, its windows and the day's mode segments."""

    room: Room
    kind: EnergyKind
    rules: WindowRules
    lead: timedelta
    windows: list[ComfortWindow]
    segments: list[Segment]

    @property
    def controlled(self) -> bool:
        return self.kind != EnergyKind.uncontrolled


def occupations_by_room(
    session: Session, start: datetime, end: datetime, room_ids: Sequence[int] | None = None
) -> dict[int, list[Occupation]]:
    """Who is expected where in [start, end): firm bookings, approved series and training blocks;
    a booking of a whole hall occupies each of its parts too."""
    plan = CampusPlan.load(session)
    found: dict[int, list[Occupation]] = defaultdict(list)
    wanted = set(room_ids) if room_ids is not None else None

    def place(room_id: int, occupation: Occupation) -> None:
        for target in {room_id, *plan.leaves(room_id)}:
            if wanted is None or target in wanted:
                found[target].append(occupation)

    read_ids = None if wanted is None else sorted(_with_ancestors(plan, wanted))
    for booking_id, room_id, starts_at, ends_at, status, series_id, title in _booking_rows(
        session, start, end, read_ids
    ):
        if status == S.no_show.value:
            place(room_id, Occupation(starts_at, ends_at, RELEASED, booking_id, title))
        elif status in FIRM or series_id is not None:
            source = "series" if series_id is not None else "booking"
            place(room_id, Occupation(starts_at, ends_at, source, booking_id, title))
    block = Block.__table__.c  # type: ignore[attr-defined]
    blocks = sa_select(block.id, block.room_id, block.starts_at, block.ends_at, block.reason).where(
        block.kind == BlockKind.training.value, block.removed_at.is_(None), block.starts_at < end, block.ends_at > start
    )
    if read_ids is not None:
        blocks = blocks.where(among(block.room_id, read_ids))
    for block_id, room_id, starts_at, ends_at, reason in session.execute(blocks):
        place(room_id, Occupation(starts_at, ends_at, "block", block_id or 0, reason))
    return found


def _booking_rows(session: Session, start: datetime, end: datetime, room_ids: list[int] | None) -> list[Any]:
    """The columns a window needs of the bookings overlapping [start, end): not whole rows, whose
    quotes and equipment (JSON) would cost more to decode than the windows to compute."""
    names = ("id", "room_id", "starts_at", "ends_at", "status", "series_id", "title")
    table = Booking.__table__.c  # type: ignore[attr-defined]
    query = sa_select(*(table[name] for name in names)).where(
        col(Booking.starts_at) < end, col(Booking.ends_at) > start, col(Booking.status).in_(READ_STATUSES)
    )
    if room_ids is not None:
        query = query.where(among(col(Booking.room_id), room_ids))
    return list(session.execute(query))


def _with_ancestors(plan: CampusPlan, room_ids: set[int]) -> set[int]:
    """The rooms and the halls they are parts of (a hall's booking fills its parts)."""
    result = set(room_ids)
    for room_id in room_ids:
        parent = plan.parents.get(room_id)
        while parent is not None and parent not in result:
            result.add(parent)
            parent = plan.parents.get(parent)
    return result


def room_settings(session: Session, room_ids: Sequence[int] | None = None) -> dict[int, RoomEnergySetting]:
    query = select(RoomEnergySetting)
    if room_ids is not None:
        query = query.where(among(col(RoomEnergySetting.room_id), room_ids))
    return {s.room_id: s for s in session.exec(query)}


def effective_rules(
    room: Room, own: RoomEnergySetting | None, bounds: EnergySettings
) -> tuple[EnergyKind, WindowRules, timedelta]:
    """The room's kind defaults with its own overrides, and the lead in force: the manager's
    minutes, else the learned one, else the kind's, always within the settings' bounds."""
    kind = energy_kind(room.kind)
    rules = KIND_RULES[kind]
    if own is not None:
        if own.hold_minutes is not None:
            rules = replace(rules, hold=timedelta(minutes=own.hold_minutes))
        if own.always_on is not None and kind != EnergyKind.always_on:
            rules = replace(rules, always_on=own.always_on)
    minutes = rules.lead.total_seconds() / 60
    if own is not None and own.lead_minutes is not None:
        minutes = own.lead_minutes
    elif own is not None and own.learned_lead_minutes is not None:
        minutes = own.learned_lead_minutes
    if not rules.always_on and kind != EnergyKind.uncontrolled:
        minutes = min(max(minutes, bounds.lead_min_minutes), bounds.lead_max_minutes)
    return kind, rules, timedelta(minutes=minutes)


def room_days(
    session: Session, rooms: Sequence[Room], day: date, zone: ZoneInfo, bounds: EnergySettings
) -> list[RoomDay]:
    """Every given room's windows and segments for a local day, in a few queries (the day before
    and after are read too, so an overnight booking and a long lead across midnight are seen)."""
    if not rooms:
        return []
    start, end = local_bounds(day, zone)
    ids = [r.id for r in rooms if r.id is not None]
    lead_reach = timedelta(minutes=bounds.lead_max_minutes)
    occupied = occupations_by_room(session, start - DAY, end + DAY + lead_reach, ids)
    own = room_settings(session, ids)
    result: list[RoomDay] = []
    for room in rooms:
        kind, rules, lead = effective_rules(room, own.get(room.id or 0), bounds)
        mine = occupied.get(room.id or 0, [])
        firm = [o for o in mine if o.source != RELEASED]
        windows = [] if kind == EnergyKind.uncontrolled else comfort_windows(firm, rules, zone, lead=lead)
        expected = any(o.source == RELEASED and o.start < end and o.end > start for o in mine)
        segments = day_timeline(windows, rules, day, zone, expected=expected)
        result.append(RoomDay(room, kind, rules, lead, windows, segments))
    return result


def room_day(
    session: Session, viewer: User | None, room_id: int, day: date, zone: ZoneInfo, bounds: EnergySettings
) -> RoomDay:
    """One room's day for staff (the API's comfort windows and the room page)."""
    ensure_role(viewer, *STAFF_ROLES)
    room = rooms_service.get_room(session, room_id, viewer)
    return room_days(session, [room], day, zone, bounds)[0]


def controlled_rooms(session: Session) -> list[Room]:
    """Rooms whose kind follows bookings or is always on (the others are left to the BMS)."""
    return [r for r in rooms_service.all_rooms(session) if energy_kind(r.kind) != EnergyKind.uncontrolled]
