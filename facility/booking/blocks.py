"""Institute blocks: training course blackouts, closures and maintenance that claim a space.

A block may be placed over pending bookings (holds and requests): their claims are suspended and
they are returned for the manager to move. Over a firm booking it is refused with a 409.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from facility.booking import claims, notify
from facility.booking.common import iso as _iso
from facility.booking.common import local_zone
from facility.booking.common import touch as _touch
from facility.booking.exceptions import BlockNotFound, BookingConflict
from facility.booking.models import FIRM_STATUSES, PENDING_STATUSES, Block, BlockKind, Booking
from facility.core import audit
from facility.core.auth import ensure_role
from facility.core.db import utcnow
from facility.core.errors import Forbidden, InvalidInput
from facility.core.i18n import gettext as _
from facility.core.models import STAFF_ROLES, User
from facility.rooms import service as rooms_service
from facility.rooms.exceptions import RoomNotFound
from facility.rooms.models import Room


def place_block(
    session: Session,
    actor: User | None,
    *,
    room_id: int,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    kind: str = BlockKind.maintenance.value,
    source_ref: str = "",
) -> tuple[Block, list[Booking]]:
    """An Institute block over a room: pending bookings in the way are displaced and returned;
    firm ones (approved, confirmed, checked in) make it fail with BookingConflict."""
    if actor is not None:
        ensure_role(actor, *STAFF_ROLES)
        if kind != BlockKind.maintenance.value and not actor.is_manager:
            raise Forbidden(_("Only managers enter training and closure blocks."))
    kind = BlockKind(kind).value
    if not reason.strip():
        raise InvalidInput(_("Give a reason for the block: renters read it."), code="reason_required")
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise InvalidInput(_("Block times need a time zone."))
    starts_at, ends_at = starts_at.astimezone(UTC), ends_at.astimezone(UTC)
    if ends_at <= starts_at:
        raise InvalidInput(_("The end must be after the start."))
    room = session.get(Room, room_id)
    if room is None:
        raise RoomNotFound(room_id)
    spaces = rooms_service.atomic_space_ids(session, room_id)
    clashes = claims.find_clashes(session, spaces, starts_at, ends_at, share_key=0)
    booking_ids = sorted({c.booking_id for c in clashes if c.booking_id})
    in_the_way = list(session.exec(select(Booking).where(col(Booking.id).in_(booking_ids)))) if booking_ids else []
    firm = [b for b in in_the_way if b.status in {s.value for s in FIRM_STATUSES}]
    if firm:
        raise BookingConflict(
            _("Approved bookings are in the way; cancel or move them first."),
            extra={
                "slot": {"room_id": room_id, "start": _iso(starts_at), "end": _iso(ends_at)},
                "conflicts": [
                    {
                        "booking_id": b.id,
                        "room_id": b.room_id,
                        "status": b.status,
                        "title": b.title,
                        "start": _iso(b.starts_at),
                        "end": _iso(b.ends_at),
                    }
                    for b in firm
                ],
                "alternatives": [],
            },
        )
    block = Block(
        room_id=room_id,
        kind=kind,
        reason=reason.strip(),
        source_ref=source_ref,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by_id=actor.id if actor else None,
    )
    session.add(block)
    session.flush()
    displaced = [b for b in in_the_way if b.status in {s.value for s in PENDING_STATUSES}]
    for booking in displaced:
        claims.release_booking(session, booking.id)  # type: ignore[arg-type]
        booking.displaced_by_block_id = block.id
        _touch(booking)
        session.add(booking)
        audit.record(session, actor, "booking.displace", "booking", booking.id, after={"block_id": block.id})
        notify.notify_booking(session, booking, "displaced", local_zone().key, note=block.reason)
    session.flush()
    if not claims.insert_claims(session, claims.block_claims(session, block)):
        raise BookingConflict(_("A booking took this slot at the same moment; try again."), extra={"alternatives": []})
    audit.record(session, actor, "block.create", "booking_block", block.id, after=block)
    return block, displaced


def remove_block(session: Session, actor: User | None, block_id: int) -> None:
    """Lift a block; requests it displaced get their slot back where it is still free."""
    if actor is not None:
        ensure_role(actor, *STAFF_ROLES)
    block = session.get(Block, block_id, with_for_update=True, populate_existing=True)
    if block is None or block.removed_at is not None:
        raise BlockNotFound(block_id)
    # Crews lift the maintenance blocks their work placed; the rest is the managers' calendar.
    if actor is not None and not actor.is_manager and block.kind != BlockKind.maintenance.value:
        raise Forbidden(_("Only managers remove training and closure blocks."))
    before = audit.snapshot(block)
    block.removed_at = utcnow()
    claims.release_block(session, block_id)
    session.add(block)
    session.flush()
    audit.record(session, actor, "block.remove", "booking_block", block.id, before=before, after=block)
    displaced = session.exec(select(Booking).where(Booking.displaced_by_block_id == block_id))
    for booking in displaced:
        if booking.status not in {s.value for s in PENDING_STATUSES}:
            continue
        room = session.get(Room, booking.room_id)
        assert room is not None
        start, end = claims.buffered_range(room, booking.starts_at, booking.ends_at)
        spaces = rooms_service.atomic_space_ids(session, room.id)  # type: ignore[arg-type]
        in_the_way = claims.find_clashes(
            session,
            spaces,
            start,
            end,
            share_key=booking.id,  # type: ignore[arg-type]
            exclude_booking_id=booking.id,
        )
        if in_the_way:
            other_block = next((c.block_id for c in in_the_way if c.block_id), None)
            if other_block is not None:
                booking.displaced_by_block_id = other_block
                session.add(booking)
            continue
        if claims.insert_claims(session, claims.booking_claims(session, room, booking)):
            booking.displaced_by_block_id = None
            _touch(booking)
            session.add(booking)
            notify.notify_booking(session, booking, "restored", local_zone().key)
    session.flush()


def list_blocks(
    session: Session,
    *,
    room_ids: Sequence[int] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    include_removed: bool = False,
) -> list[Block]:
    query = select(Block)
    if not include_removed:
        query = query.where(col(Block.removed_at).is_(None))
    if room_ids is not None:
        query = query.where(col(Block.room_id).in_(room_ids))
    if start is not None:
        query = query.where(Block.ends_at > start)
    if end is not None:
        query = query.where(Block.starts_at < end)
    return list(session.exec(query.order_by(col(Block.starts_at))))
