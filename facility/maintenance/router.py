"""JSON API of the maintenance domain."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import AwareDatetime

from facility.core.auth import CurrentUser, DbSession
from facility.core.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    error_responses,
)
from facility.core.idempotency import IDEMPOTENT
from facility.core.params import MAX_ID, Limit, ObjectId, Offset
from facility.maintenance import admin_api, assets, assignment, claims, duties_api, inspections, templates_api, timers
from facility.maintenance import alerts as alert_orders
from facility.maintenance import service as work_orders
from facility.maintenance.exceptions import (
    AlertHasWorkOrder,
    AlreadyClaimed,
    CompletionIncomplete,
    InspectionClosed,
    InspectionNotFound,
    InvalidAnswers,
    InvalidTransition,
    TimerConflict,
    WorkOrderNotFound,
)
from facility.maintenance.models import Submission, WorkOrder
from facility.maintenance.schemas import (
    AssetList,
    AssetPublic,
    AssignmentRulePublic,
    AssignmentRuleSet,
    InspectionList,
    SubmissionCreate,
    SubmissionResult,
    TransitionRequest,
    WorkOrderAssign,
    WorkOrderCreate,
    WorkOrderList,
    WorkOrderPublic,
)
from facility.sensors.exceptions import AlertAlreadyHandled, AlertNotFound

router = APIRouter(prefix="/api/v1", tags=["maintenance"])
AUTH_ERRORS = (NotAuthenticated, Forbidden)


def _order_public(order: WorkOrder) -> WorkOrderPublic:
    public = WorkOrderPublic.model_validate(order)
    public.overdue = work_orders.is_overdue(order)
    return public


@router.get("/assets", response_model=AssetList, responses=error_responses(*AUTH_ERRORS))
def list_assets(
    session: DbSession,
    user: CurrentUser,
    building_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    room_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    kind: str | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Offset = 0,
) -> AssetList:
    """The asset registry (staff)."""
    rows, total = assets.list_assets(
        session,
        user,
        building_id=building_id,
        room_id=room_id,
        kind=kind,
        q=q,
        limit=limit,
        offset=offset,
    )
    return AssetList(items=[AssetPublic.model_validate(a) for a in rows], total=total)


@router.get("/work-orders", response_model=WorkOrderList, responses=error_responses(*AUTH_ERRORS))
def list_work_orders(
    session: DbSession,
    user: CurrentUser,
    status: Annotated[str | None, Query(max_length=200, description="one or more, comma-separated")] = None,
    assignee: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    room: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> WorkOrderList:
    rows, total = work_orders.list_work_orders(
        session, user, status=status, assignee=assignee, room=room, limit=limit, offset=offset
    )
    return WorkOrderList(items=[_order_public(o) for o in rows], total=total)


@router.post(
    "/work-orders",
    response_model=WorkOrderPublic,
    status_code=201,
    responses=error_responses(*AUTH_ERRORS, InvalidInput, Conflict),
    dependencies=[IDEMPOTENT],
)
def create_work_order(body: WorkOrderCreate, session: DbSession, user: CurrentUser) -> WorkOrderPublic:
    """Open a work order; one that needs its room also blocks it in the booking calendar."""
    return _order_public(work_orders.create_work_order(session, user, body))


@router.get(
    "/work-orders/{order_id}",
    response_model=WorkOrderPublic,
    responses=error_responses(*AUTH_ERRORS, WorkOrderNotFound),
)
def read_work_order(order_id: ObjectId, session: DbSession, user: CurrentUser) -> WorkOrderPublic:
    return _order_public(work_orders.get_work_order(session, user, order_id))


@router.post(
    "/work-orders/{order_id}/transition",
    response_model=WorkOrderPublic,
    responses=error_responses(*AUTH_ERRORS, WorkOrderNotFound, InvalidTransition, InvalidInput, CompletionIncomplete),
)
def transition_work_order(
    order_id: ObjectId, body: TransitionRequest, session: DbSession, user: CurrentUser
) -> WorkOrderPublic:
    """Move a work order: open → assigned → in_progress → on_hold → done → verified."""
    order = work_orders.transition(
        session,
        user,
        order_id,
        body.to,
        assignee_id=body.assignee_id,
        note=body.note,
        minutes_spent=body.minutes_spent,
        signature=body.signature,
        confirm_name=body.confirm_name,
    )
    return _order_public(order)


@router.post(
    "/work-orders/{order_id}/assign",
    response_model=WorkOrderPublic,
    responses=error_responses(*AUTH_ERRORS, WorkOrderNotFound, InvalidTransition, InvalidInput),
)
def assign_work_order(
    order_id: ObjectId, body: WorkOrderAssign, session: DbSession, user: CurrentUser
) -> WorkOrderPublic:
    """A manager assigns (or reassigns) open work; the assignee is notified."""
    return _order_public(work_orders.assign_work_order(session, user, order_id, body.assignee_id))


@router.post(
    "/work-orders/{order_id}/claim",
    response_model=WorkOrderPublic,
    responses=error_responses(*AUTH_ERRORS, WorkOrderNotFound, AlreadyClaimed),
)
def claim_work_order(order_id: ObjectId, session: DbSession, user: CurrentUser) -> WorkOrderPublic:
    """Staff take unassigned open work (crew: in their trade and buildings); 409 if taken first."""
    return _order_public(claims.claim(session, user, order_id))


@router.post(
    "/work-orders/{order_id}/timer/{action}",
    response_model=WorkOrderPublic,
    responses=error_responses(*AUTH_ERRORS, WorkOrderNotFound, TimerConflict),
)
def work_timer(
    order_id: ObjectId, action: Literal["start", "stop"], session: DbSession, user: CurrentUser
) -> WorkOrderPublic:
    """The assignee starts or stops their timer; stopping adds the whole minutes to `minutes_spent`
    (409 for a second start or a stop with none running)."""
    (timers.start if action == "start" else timers.stop)(session, user, order_id)
    return _order_public(work_orders.get_work_order(session, user, order_id))


@router.post(
    "/alerts/{alert_id}/work-order",
    response_model=WorkOrderPublic,
    status_code=201,
    responses=error_responses(*AUTH_ERRORS, AlertNotFound, AlertHasWorkOrder, AlertAlreadyHandled),
)
def open_work_order_for_alert(alert_id: ObjectId, session: DbSession, user: CurrentUser) -> WorkOrderPublic:
    """Crew or a manager opens a work order for an alert, linked both ways (409 if it has one)."""
    return _order_public(alert_orders.open_for_alert(session, user, alert_id))


@router.get("/assignment-rules", response_model=list[AssignmentRulePublic], responses=error_responses(*AUTH_ERRORS))
def list_assignment_rules(session: DbSession, user: CurrentUser) -> list[AssignmentRulePublic]:
    """Who gets each building's work of each trade by default (staff)."""
    return [AssignmentRulePublic.model_validate(r) for r in assignment.list_rules(session, user)]


@router.put(
    "/assignment-rules",
    response_model=AssignmentRulePublic,
    responses=error_responses(*AUTH_ERRORS, InvalidInput),
)
def set_assignment_rule(body: AssignmentRuleSet, session: DbSession, user: CurrentUser) -> AssignmentRulePublic:
    """A manager sets who gets a building's work of a trade (an empty trade: all others); audited."""
    rule = assignment.set_rule(session, user, body.building_id, body.trade, body.assignee_id)
    return AssignmentRulePublic.model_validate(rule)


@router.get("/inspections", response_model=InspectionList, responses=error_responses(*AUTH_ERRORS))
def list_inspections(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    due_before: AwareDatetime | None = None,
    status: Annotated[
        str | None, Query(max_length=100, description="open, done, verified, cancelled or overdue")
    ] = None,
    building_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> InspectionList:
    rows, total = inspections.list_inspections(
        session,
        user,
        due_before=due_before,
        status=status,
        building_id=building_id,
        limit=limit,
        offset=offset,
    )
    lang = "en" if request.headers.get("accept-language", "").startswith("en") else "ko"
    return InspectionList(items=[inspections.to_public(i, t, lang) for i, t in rows], total=total)


def submission_result(submission: Submission) -> SubmissionResult:
    return SubmissionResult(
        id=submission.id,  # type: ignore[arg-type]
        submission_id=submission.submission_id,
        inspection_id=submission.inspection_id,
        result=submission.result,
        failed_items=submission.failed_items,
        corrective_work_orders=submission.work_order_ids,
        submitted_at=submission.submitted_at,
        correction=submission.corrects_id is not None,
    )


@router.post(
    "/inspections/{inspection_id}/submit",
    response_model=SubmissionResult,
    responses=error_responses(*AUTH_ERRORS, InspectionNotFound, InspectionClosed, InvalidAnswers, Conflict),
)
def submit_inspection(
    inspection_id: ObjectId, body: SubmissionCreate, session: DbSession, user: CurrentUser
) -> SubmissionResult:
    """Submit a checklist; resending the same `submission_id` returns the first result unchanged."""
    return submission_result(inspections.submit_checklist(session, user, inspection_id, body))


router.include_router(templates_api.router)
router.include_router(duties_api.router)
router.include_router(admin_api.router)
