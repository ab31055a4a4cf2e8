"""Fee schedules: listed for everyone who quotes, created and edited by managers."""

from __future__ import annotations

from fastapi import APIRouter

from facility.booking import fees
from facility.core.auth import CurrentUser, DbSession
from facility.core.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound, error_responses
from facility.core.params import ObjectId

router = APIRouter(prefix="/api/v1", tags=["booking"])
WRITE_ERRORS = (NotAuthenticated, Forbidden, Conflict, InvalidInput)


@router.get("/fee-schedules", response_model=list[fees.FeeSchedulePublic])
def list_fee_schedules(session: DbSession) -> list[fees.FeeSchedulePublic]:
    """Every fee schedule (KRW before VAT; 10 % VAT is added on each quote)."""
    return [fees.FeeSchedulePublic.model_validate(s) for s in fees.list_schedules(session)]


@router.post(
    "/fee-schedules",
    response_model=fees.FeeSchedulePublic,
    status_code=201,
    responses=error_responses(*WRITE_ERRORS),
)
def create_fee_schedule(body: fees.FeeScheduleCreate, session: DbSession, user: CurrentUser) -> fees.FeeSchedulePublic:
    return fees.FeeSchedulePublic.model_validate(fees.create_schedule(session, user, body))


@router.patch(
    "/fee-schedules/{schedule_id}",
    response_model=fees.FeeSchedulePublic,
    responses=error_responses(NotFound, *WRITE_ERRORS),
)
def update_fee_schedule(
    schedule_id: ObjectId, body: fees.FeeRates, session: DbSession, user: CurrentUser
) -> fees.FeeSchedulePublic:
    """Change a schedule's rates (managers)."""
    return fees.FeeSchedulePublic.model_validate(fees.update_schedule(session, user, schedule_id, body))
