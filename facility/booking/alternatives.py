"""A 409 that helps: what is in the way, and free slots of the same length to try instead.

At rush hour most requests are refused, and many of them for the same popular slots: the
suggestions for a slot are memoised for `SUGGESTIONS_TTL_S` (core/memo.py), even past a claim this
process writes (every successful request writes one, which would void them all at rush hour). A
suggestion was never a promise (another renter may take it the next moment), so one two seconds
old costs nothing in truth; the rooms and opening hours they come from are still read again at
once after an edit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from facility.booking import availability, claims
from facility.booking.common import iso as _iso
from facility.booking.common import local_zone
from facility.booking.exceptions import BookingConflict
from facility.core import memo
from facility.core.db import utcnow
from facility.core.i18n import gettext as _
from facility.core.models import User
from facility.rooms.kinds import RoomStatus
from facility.rooms.models import Room
from facility.rooms.plan import CampusPlan

# How long a slot's suggestions are reused (see the module's docstring).
SUGGESTIONS_TTL_S = 2.0
# Rooms of the building considered as alternatives, by code.
SIMILAR_ROOMS = 40


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
        _("This slot is already taken."),
        extra={
            "slot": {"room_id": room.id, "start": _iso(starts_at), "end": _iso(ends_at)},
            "conflicts": in_the_way,
            "alternatives": remembered_alternatives(session, room, starts_at, ends_at, attendees, viewer),
        },
    )


def _read_building_rooms(session: Session, building_id: int) -> list[Room]:
    query = select(Room).where(Room.building_id == building_id).order_by(Room.code)
    return [memo.copy_of(room) for room in session.exec(query)]


def _building_rooms(session: Session, building_id: int) -> list[Room]:
    """A building's rooms by code, memoised: every refused request looks for similar rooms."""
    return memo.remembered(
        session, f"booking.building_rooms:{building_id}", ("room",), lambda s: _read_building_rooms(s, building_id)
    )


def remembered_alternatives(
    session: Session, room: Room, starts_at: datetime, ends_at: datetime, attendees: int, viewer: User | None
) -> list[dict[str, Any]]:
    """suggest_alternatives for this slot, as found a moment ago (shared: read-only to callers)."""
    staff = viewer is not None and viewer.is_staff
    key = f"booking.alternatives:{room.id}:{starts_at.isoformat()}:{ends_at.isoformat()}:{attendees}:{staff}"
    return memo.remembered(
        session,
        key,
        # No tables: suggestions are kept only seconds (they read claims too), so a version read
        # at each load would cost more than the staleness it prevents.
        (),
        lambda s: suggest_alternatives(s, room, starts_at, ends_at, attendees, viewer),
        ttl_s=SUGGESTIONS_TTL_S,
        max_age_s=SUGGESTIONS_TTL_S,
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
    campus = CampusPlan.load(session)
    day_start = datetime.combine(starts_at.astimezone(zone).date(), datetime.min.time(), tzinfo=zone)
    week_end = day_start + timedelta(days=7)
    staff = viewer is not None and viewer.is_staff
    others = [
        other
        for other in _building_rooms(session, room.building_id)
        if other.id != room.id
        and other.capacity >= attendees
        and other.status == RoomStatus.open.value
        and (staff or other.bookable_external)
    ][:SIMILAR_ROOMS]
    others.sort(key=lambda r: (r.kind != room.kind, r.code))
    # One claim read for both questions: this room's week holds the other rooms' slot.
    spaces = sorted({s for r in (room, *others) for s in campus.leaves(r.id)})  # type: ignore[arg-type]
    margin = availability.BUFFER_MARGIN
    # Shared by every slot of that day among these rooms, as young as the suggestions themselves:
    # at the first rush every refused slot would otherwise read the same week of claims.
    busy = memo.remembered(
        session,
        f"booking.alternatives_busy:{day_start.isoformat()}:{','.join(map(str, spaces))}",
        (),
        lambda s: availability.claims_in_window(s, spaces, day_start - margin, week_end + margin),
        ttl_s=SUGGESTIONS_TTL_S,
    )
    same_room = availability.free_slots_many(
        session, [room], day_start, week_end, zone, min_length=length, campus=campus, busy=busy
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
    free = availability.free_slots_many(session, others, starts_at, ends_at, zone, campus=campus, busy=busy)
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
