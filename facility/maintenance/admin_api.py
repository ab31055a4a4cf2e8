"""JSON API for managers: register and edit assets, set up and change preventive plans."""

from __future__ import annotations

from fastapi import APIRouter

from facility.core.auth import CurrentUser, DbSession
from facility.core.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, error_responses
from facility.core.params import ObjectId
from facility.maintenance import editing, plans
from facility.maintenance.exceptions import AssetNotFound, PlanNotFound, TemplateNotFound
from facility.maintenance.schemas import AssetCreate, AssetPublic, AssetUpdate, PlanCreate, PlanPublic, PlanUpdate

router = APIRouter(tags=["maintenance"])
WRITE_ERRORS = (NotAuthenticated, Forbidden, Conflict, InvalidInput)


@router.post("/assets", response_model=AssetPublic, status_code=201, responses=error_responses(*WRITE_ERRORS))
def create_asset(body: AssetCreate, session: DbSession, user: CurrentUser) -> AssetPublic:
    """Register an asset (managers)."""
    return AssetPublic.model_validate(editing.create_asset(session, user, body))


@router.patch("/assets/{asset_id}", response_model=AssetPublic, responses=error_responses(AssetNotFound, *WRITE_ERRORS))
def update_asset(asset_id: ObjectId, body: AssetUpdate, session: DbSession, user: CurrentUser) -> AssetPublic:
    return AssetPublic.model_validate(editing.update_asset(session, user, asset_id, body))


@router.get("/plans", response_model=list[PlanPublic], responses=error_responses(NotAuthenticated, Forbidden))
def list_plans(session: DbSession, user: CurrentUser) -> list[PlanPublic]:
    """Every preventive plan (managers)."""
    return [PlanPublic.model_validate(p) for p in plans.list_plans(session, user)]


@router.post(
    "/plans",
    response_model=PlanPublic,
    status_code=201,
    responses=error_responses(TemplateNotFound, *WRITE_ERRORS),
)
def create_plan(body: PlanCreate, session: DbSession, user: CurrentUser) -> PlanPublic:
    """A preventive plan: a template's cadence (or a usage threshold) over a building, room or asset."""
    return PlanPublic.model_validate(editing.create_plan(session, user, body))


@router.patch("/plans/{plan_id}", response_model=PlanPublic, responses=error_responses(PlanNotFound, *WRITE_ERRORS))
def update_plan(plan_id: ObjectId, body: PlanUpdate, session: DbSession, user: CurrentUser) -> PlanPublic:
    return PlanPublic.model_validate(editing.update_plan(session, user, plan_id, body))
