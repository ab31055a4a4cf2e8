"""A 409 that helps: what is in the way, and free slots of the same length to try instead."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from facility.booking import availability, claims
from facility.booking.common import iso as _iso
from facility.booking.common import local_zone
from facility.booking.exceptions import BookingConflict
from facility.core.db import utcnow
from facility.core.models import User
from facility.rooms.kinds import RoomStatus
from facility.rooms.models import Room


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
            "alternatives": suggest_alternatives(session, room, starts_at, ends_at, attendees, viewer),
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
    day_start = datetime.combine(starts_at.astimezone(zone).date(), datetime.min.time(), tzinfo=zone)
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
