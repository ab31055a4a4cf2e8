"""JSON API of the inspection templates: the statutory content every install has, and edits."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from facility.core.auth import CurrentUser, DbSession, ensure_role
from facility.core.errors import Conflict, Forbidden, NotAuthenticated, error_responses
from facility.core.models import STAFF_ROLES
from facility.maintenance import catalogue
from facility.maintenance.exceptions import TemplateNotFound
from facility.maintenance.schemas import TemplateCreate, TemplatePublic, TemplateUpdate

router = APIRouter(tags=["maintenance"])
AUTH_ERRORS = (NotAuthenticated, Forbidden)


def _values(body: BaseModel, *, partial: bool) -> dict[str, Any]:
    # An explicit null in a partial update means "leave as is", like an absent field.
    values = {k: v for k, v in body.model_dump(exclude_unset=partial).items() if v is not None}
    if "items" in values:
        values["items"] = [{k: v for k, v in item.items() if v is not None} for item in values["items"]]
    return values


@router.get("/inspection-templates", response_model=list[TemplatePublic], responses=error_responses(*AUTH_ERRORS))
def list_templates(session: DbSession, user: CurrentUser) -> list[TemplatePublic]:
    """Every inspection template: code, names, legal basis, cadence and checklist items (staff)."""
    ensure_role(user, *STAFF_ROLES)
    return [TemplatePublic.model_validate(t) for t in catalogue.list_templates(session)]


@router.get(
    "/inspection-templates/{code}",
    response_model=TemplatePublic,
    responses=error_responses(TemplateNotFound, *AUTH_ERRORS),
)
def read_template(code: str, session: DbSession, user: CurrentUser) -> TemplatePublic:
    ensure_role(user, *STAFF_ROLES)
    return TemplatePublic.model_validate(catalogue.get_template(session, code))


@router.post(
    "/inspection-templates",
    response_model=TemplatePublic,
    status_code=201,
    responses=error_responses(Conflict, *AUTH_ERRORS),
)
def create_template(body: TemplateCreate, session: DbSession, user: CurrentUser) -> TemplatePublic:
    """A template of the campus's own (managers)."""
    return TemplatePublic.model_validate(catalogue.create_template(session, user, _values(body, partial=False)))


@router.patch(
    "/inspection-templates/{code}",
    response_model=TemplatePublic,
    responses=error_responses(TemplateNotFound, *AUTH_ERRORS),
)
def update_template(code: str, body: TemplateUpdate, session: DbSession, user: CurrentUser) -> TemplatePublic:
    """Edit a template (managers): new occurrences use the new version, completed ones keep theirs."""
    return TemplatePublic.model_validate(catalogue.update_template(session, user, code, _values(body, partial=True)))
