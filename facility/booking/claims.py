"""Space claims: the rows that make double booking impossible.

A booking or block claims each atomic space of its room (a whole hall claims its parts) for its
time range widened by the room kind's buffers. PostgreSQL's exclusion constraint refuses an
overlapping active claim; on SQLite every state-changing request already holds the single write
lock (`BEGIN IMMEDIATE`), so the check below cannot interleave with another writer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Select, and_, bindparam, func, literal_column, or_
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select, update

from facility.booking.models import LONG_CLAIM, Block, Booking, SpaceClaim, claim_seconds
from facility.booking.rules import rules_for
from facility.core import memo
from facility.core.db import lost_race, rare
from facility.core.models import Organization
from facility.rooms import service as rooms_service
from facility.rooms.models import Room

EXCLUSION_CONSTRAINT = "ex_space_claim_no_overlap"


@dataclass(frozen=True)
class Clash:
    """An active claim in the way: whose it is and the time it holds (unbuffered)."""

    space_id: int
    booking_id: int | None
    block_id: int | None
    starts_at: datetime
    ends_at: datetime


def buffered_range(room: Room, starts_at: datetime, ends_at: datetime) -> tuple[datetime, datetime]:
    rules = rules_for(room.kind)
    return starts_at - rules.buffer_before, ends_at + rules.buffer_after


def is_long() -> ColumnElement[bool]:
    """Claims longer than LONG_CLAIM (a minute's slack for SQLite's float days), as
    `ix_space_claim_long` can answer it. The bound is inline, not a bound float: PostgreSQL would
    cast the numeric length to float8 to compare, and the cast no longer matches the index."""
    return rare(claim_seconds() > literal_column(str(int(LONG_CLAIM.total_seconds()) - 60)))


def overlapping(
    lo: datetime | BindParameter[datetime],
    hi: datetime | BindParameter[datetime],
    space_ids: Sequence[int] | BindParameter[Any] | None = None,
    *,
    recent_from: datetime | BindParameter[datetime] | None = None,
) -> ColumnElement[bool]:
    """Active claims overlapping [lo, hi) (on these spaces), phrased so indexes find them without
    walking the past.

    `starts_at < hi AND ends_at > lo` alone makes a btree visit every claim that started before
    `hi`: years of history. A claim no longer than LONG_CLAIM that overlaps must start after
    `lo - LONG_CLAIM` (`recent_from`), a narrow range of `ix_space_claim_period` (or of
    `ix_space_claim_space_period` per space); the rare longer ones (multi-day blocks) are found by
    their length, `ix_space_claim_long`.
    """
    if recent_from is None:
        assert isinstance(lo, datetime)
        recent_from = lo - LONG_CLAIM
    starts, ends, space = col(SpaceClaim.starts_at), col(SpaceClaim.ends_at), col(SpaceClaim.space_id)
    recent = and_(starts >= recent_from, starts < hi, ends > lo)
    old_and_long = and_(is_long(), starts < recent_from, ends > lo)
    if space_ids is not None:
        recent = and_(space.in_(space_ids), recent)
        # `+ 0` keeps SQLite from reading this branch through the space index (every claim each
        # space ever had) instead of the length index.
        old_and_long = and_((space + 0).in_(space_ids), old_and_long)
    return and_(col(SpaceClaim.active).is_(True), or_(recent, old_and_long))


@cache
def _clash_query(blocks_only_meet_bookings: bool, excluding: bool) -> Select[Any]:
    """The statement of `find_clashes`, built once with bound parameters: it runs on every booking
    request, and building the expression cost more than running it."""
    query = select(SpaceClaim).where(
        overlapping(
            bindparam("lo"), bindparam("hi"), bindparam("spaces", expanding=True), recent_from=bindparam("recent_from")
        )
    )
    if blocks_only_meet_bookings:
        # Blocks may overlap blocks; only bookings are in their way.
        query = query.where(SpaceClaim.share_key != 0)
    if excluding:
        query = query.where(
            or_(col(SpaceClaim.booking_id).is_(None), col(SpaceClaim.booking_id) != bindparam("exclude"))
        )
    # The claims are filtered in a subquery of their own: `is_long()` names its columns bare, as
    # the index expression does, which a join would make ambiguous.
    found = query.subquery()
    return (
        sa_select(
            found.c.space_id,
            found.c.booking_id,
            found.c.block_id,
            func.coalesce(Booking.starts_at, Block.starts_at, found.c.starts_at),
            func.coalesce(Booking.ends_at, Block.ends_at, found.c.ends_at),
            # Read in the same snapshot: a screen's refusal checks what its memos presumed by it.
            memo.version_column(),
        )
        .outerjoin(Booking, col(Booking.id) == found.c.booking_id)
        .outerjoin(Block, col(Block.id) == found.c.block_id)
    )


def find_clashes(
    session: Session,
    space_ids: Sequence[int],
    starts_at: datetime,
    ends_at: datetime,
    *,
    share_key: int,
    exclude_booking_id: int | None = None,
) -> list[Clash]:
    """Active claims on these spaces overlapping [starts_at, ends_at) that would be refused, with
    their owner's unbuffered times (one query: this runs on every booking request)."""
    query = _clash_query(share_key == 0, exclude_booking_id is not None)
    values: dict[str, Any] = {
        "lo": starts_at,
        "hi": ends_at,
        "recent_from": starts_at - LONG_CLAIM,
        "spaces": list(space_ids),
    }
    if exclude_booking_id is not None:
        values["exclude"] = exclude_booking_id
    rows = session.connection().execute(query, values).all()
    if rows:
        memo.confirm_version(session, rows[0][-1])
    return [
        Clash(space_id=space, booking_id=booking, block_id=block, starts_at=start, ends_at=end)
        for space, booking, block, start, end, _version in rows
    ]


def is_exclusion_violation(error: IntegrityError) -> bool:
    return EXCLUSION_CONSTRAINT in str(error.orig) or "exclusion" in str(error.orig).lower()


def insert_claims(session: Session, claims: Sequence[SpaceClaim]) -> bool:
    """Add the claims in a savepoint; False (nothing added) when the database refuses an overlap."""
    try:
        with session.begin_nested():
            session.add_all(claims)
            session.flush()
    except IntegrityError as error:
        if not is_exclusion_violation(error):
            raise
        return False
    except OperationalError as error:
        if not lost_race(error):
            raise
        return False
    return True


def booking_claims(session: Session, room: Room, booking: Booking) -> list[SpaceClaim]:
    start, end = buffered_range(room, booking.starts_at, booking.ends_at)
    return [
        SpaceClaim(
            space_id=space,
            booking_id=booking.id,
            share_key=booking.id,  # type: ignore[arg-type]
            starts_at=start,
            ends_at=end,
        )
        for space in rooms_service.atomic_space_ids(session, room.id)  # type: ignore[arg-type]
    ]


def block_claims(session: Session, block: Block) -> list[SpaceClaim]:
    return [
        SpaceClaim(
            space_id=space,
            block_id=block.id,
            share_key=0,
            starts_at=block.starts_at,
            ends_at=block.ends_at,
        )
        for space in rooms_service.atomic_space_ids(session, block.room_id)
    ]


def release_booking(session: Session, booking_id: int) -> None:
    """Free every claim of a booking (rejected, cancelled, expired, no-show, displaced, moved)."""
    session.exec(  # type: ignore[call-overload]
        update(SpaceClaim)
        .where(and_(col(SpaceClaim.booking_id) == booking_id, col(SpaceClaim.active).is_(True)))
        .values(active=False)
    )


def release_block(session: Session, block_id: int) -> None:
    session.exec(  # type: ignore[call-overload]
        update(SpaceClaim)
        .where(and_(col(SpaceClaim.block_id) == block_id, col(SpaceClaim.active).is_(True)))
        .values(active=False)
    )


def lock_organization(session: Session, organization_id: int | None) -> Organization | None:
    """The organisation's row, locked until the transaction ends, so its quota check is exact: one
    organisation's booking requests take turns; other organisations' do not wait.

    On PostgreSQL `FOR NO KEY UPDATE`: it conflicts with another request's lock and with an edit
    of the row, but not with the key-share lock a foreign key takes, so rows that merely point at
    the organisation (its users, its bookings) are not held up. One round trip both locks and
    reads the row the price needs. SQLite's request already holds the single write lock."""
    if not organization_id:
        return None
    return session.get(Organization, organization_id, with_for_update={"key_share": True}, populate_existing=True)
