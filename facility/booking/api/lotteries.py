"""Lotteries over the JSON API: managers open and draw them, renters apply, anyone reads the result."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from facility.booking import lottery
from facility.core.auth import CurrentUser, DbSession, OptionalUser
from facility.core.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound, error_responses
from facility.core.params import ObjectId

router = APIRouter()
WRITE_ERRORS = (NotAuthenticated, Forbidden, Conflict, InvalidInput)


@router.post("/lotteries", status_code=201, responses=error_responses(*WRITE_ERRORS))
def create_lottery(body: lottery.LotteryCreate, session: DbSession, user: CurrentUser) -> dict[str, Any]:
    """A manager gives a room's slots out by lot; the seed's SHA-256 is published at once."""
    created = lottery.create_lottery(session, user, body)
    return lottery.lottery_public(session, created, user)


@router.post("/lotteries/{lottery_id}/entries", status_code=201, responses=error_responses(NotFound, *WRITE_ERRORS))
def apply_to_lottery(
    lottery_id: ObjectId, body: lottery.EntryCreate, session: DbSession, user: CurrentUser
) -> dict[str, Any]:
    """A renter applies for one slot for their organisation, within the application window."""
    entry = lottery.apply(session, user, lottery_id, body)
    return {"id": entry.id, "lottery_id": entry.lottery_id, "slot_index": entry.slot_index, "outcome": entry.outcome}


@router.post("/lotteries/{lottery_id}/draw", responses=error_responses(NotFound, *WRITE_ERRORS))
def draw_lottery(lottery_id: ObjectId, session: DbSession, user: CurrentUser) -> dict[str, Any]:
    """Draw after the window closes: the order, winners within caps, their bookings, the notices."""
    return lottery.lottery_public(session, lottery.draw(session, user, lottery_id), user)


@router.get("/lotteries/{lottery_id}", responses=error_responses(NotFound))
def read_lottery(lottery_id: ObjectId, session: DbSession, user: OptionalUser) -> dict[str, Any]:
    """The lottery, its entrants' order and its winners (the seed once drawn): public, to check."""
    return lottery.lottery_public(session, lottery.get_lottery(session, lottery_id), user)
