"""Reductions (감면) over the JSON API: a claim with its proof, the officer's queue and decision;
and the Institute's cancellation for its own use."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from facility.booking import flows, reductions
from facility.booking.exceptions import InvalidTransition
from facility.booking.rental_models import ReductionClaim
from facility.booking.schemas import BookingShown, Reason, booking_public
from facility.core.auth import CurrentUser, DbSession
from facility.core.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound, error_responses
from facility.core.i18n import gettext as _
from facility.core.params import ObjectId

router = APIRouter()
WRITE_ERRORS = (NotAuthenticated, Forbidden, NotFound, InvalidTransition, InvalidInput)


class ReductionClaimCreate(BaseModel):
    category: str = Field(max_length=30)
    proof_name: str = Field(default="", max_length=200)
    proof_type: str = Field(default="", max_length=100)
    # The proof file, base64 (the request page uploads it as a file instead).
    proof_base64: str = Field(default="", max_length=7_000_000)


class ReductionDecision(BaseModel):
    verified: bool
    note: str = Field(default="", max_length=500)


class ReductionClaimPublic(BaseModel):
    id: int
    booking_id: int
    category: str
    percent: int
    proof_name: str
    status: str
    note: str
    decided_at: datetime | None


def claim_public(claim: ReductionClaim) -> ReductionClaimPublic:
    return ReductionClaimPublic.model_validate(claim, from_attributes=True)


@router.post(
    "/bookings/{booking_id}/reductions",
    response_model=ReductionClaimPublic,
    status_code=201,
    responses=error_responses(*WRITE_ERRORS),
)
def claim_reduction(
    booking_id: ObjectId, body: ReductionClaimCreate, session: DbSession, user: CurrentUser
) -> ReductionClaimPublic:
    """Claim a reduction category for a pending booking with its proof; the price waits for the officer."""
    try:
        proof = base64.b64decode(body.proof_base64, validate=True)
    except (binascii.Error, ValueError) as error:
        raise InvalidInput(_("The proof file could not be read.")) from error
    claim = reductions.claim_reduction(
        session,
        user,
        booking_id,
        category=body.category,
        proof_name=body.proof_name,
        proof_type=body.proof_type,
        proof=proof,
    )
    return claim_public(claim)


@router.get(
    "/reductions", response_model=list[ReductionClaimPublic], responses=error_responses(NotAuthenticated, Forbidden)
)
def list_pending_reductions(session: DbSession, user: CurrentUser) -> list[ReductionClaimPublic]:
    """The officer's queue of claims awaiting verification (managers)."""
    reductions.ensure_officer(user)
    return [claim_public(c) for c in reductions.pending_claims(session)]


@router.post(
    "/reductions/{claim_id}/decision", response_model=ReductionClaimPublic, responses=error_responses(*WRITE_ERRORS)
)
def decide_reduction(
    claim_id: ObjectId, body: ReductionDecision, session: DbSession, user: CurrentUser
) -> ReductionClaimPublic:
    """Verify the proof (the reduction applies, highest rate only) or reject it with a note."""
    return claim_public(reductions.decide_claim(session, user, claim_id, verified=body.verified, note=body.note))


@router.post(
    "/bookings/{booking_id}/institution-cancel", response_model=BookingShown, responses=error_responses(*WRITE_ERRORS)
)
def cancel_for_institution(booking_id: ObjectId, body: Reason, session: DbSession, user: CurrentUser) -> Any:
    """The Institute needs the room for its own public purpose: cancelled, refunded in full, apologised for."""
    return booking_public(flows.cancel_for_institution(session, user, booking_id, body.reason), user)
