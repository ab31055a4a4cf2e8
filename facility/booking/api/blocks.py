"""JSON API of Institute blocks: blackouts, closures and maintenance that hold a room."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import AwareDatetime

from facility.booking import blocks, common
from facility.booking.exceptions import BlockNotFound, BookingConflict
from facility.booking.models import Block
from facility.booking.schemas import BlockCreate, BlockPlaced, BlockPublic, booking_public
from facility.core.auth import CurrentUser, DbSession, ensure_role
from facility.core.errors import Forbidden, InvalidInput, error_responses
from facility.core.models import MANAGING_ROLES
from facility.core.params import ObjectId
from facility.rooms.exceptions import RoomNotFound

# Included by `router`, which gives the /api/v1 prefix and the booking tag.
router = APIRouter()


def block_public(block: Block) -> BlockPublic:
    zone = common.local_zone()
    return BlockPublic(
        **block.model_dump(exclude={"starts_at", "ends_at"}),
        start=block.starts_at.astimezone(zone),
        end=block.ends_at.astimezone(zone),
    )


@router.get("/blocks", response_model=list[BlockPublic], responses=error_responses(Forbidden))
def list_blocks(
    session: DbSession,
    user: CurrentUser,
    room_id: int | None = None,
    start: AwareDatetime | None = None,
    end: AwareDatetime | None = None,
) -> list[BlockPublic]:
    ensure_role(user, "crew", *MANAGING_ROLES)
    rows = blocks.list_blocks(session, room_ids=[room_id] if room_id else None, start=start, end=end)
    return [block_public(b) for b in rows]


@router.post(
    "/blocks",
    response_model=BlockPlaced,
    status_code=201,
    responses=error_responses(BookingConflict, Forbidden, RoomNotFound, InvalidInput),
)
def create_block(body: BlockCreate, session: DbSession, user: CurrentUser) -> BlockPlaced:
    """A manager's blackout (training course, closure) or maintenance block."""
    block, displaced = blocks.place_block(
        session,
        user,
        room_id=body.room_id,
        starts_at=body.start,
        ends_at=body.end,
        reason=body.reason,
        kind=body.kind,
        source_ref=body.source_ref,
    )
    return BlockPlaced(block=block_public(block), displaced=[booking_public(b, user) for b in displaced])


@router.delete("/blocks/{block_id}", status_code=204, responses=error_responses(BlockNotFound, Forbidden))
def delete_block(block_id: ObjectId, session: DbSession, user: CurrentUser) -> Response:
    blocks.remove_block(session, user, block_id)
    return Response(status_code=204)
