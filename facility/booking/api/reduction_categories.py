"""Reduction categories over the JSON API: anyone reads those in force; an admin saves a new
version of one (rate, proof required, Korean and English names)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Path

from facility.booking import reductions
from facility.core.auth import CurrentUser, DbSession
from facility.core.errors import Forbidden, InvalidInput, NotAuthenticated, error_responses

router = APIRouter()
# Checked by the service after the role, so a renter meets 403 whatever the code.
Code = Annotated[str, Path(min_length=1, max_length=30)]


@router.get("/reduction-categories")
def list_categories(session: DbSession) -> list[dict[str, Any]]:
    """The categories a claim may name, each with its rate, whether proof is needed and its version."""
    return [asdict(c) for c in reductions.current_categories(session).values()]


@router.put(
    "/reduction-categories/{category_code}", responses=error_responses(NotAuthenticated, Forbidden, InvalidInput)
)
def save_category(
    category_code: Code, body: reductions.CategorySave, session: DbSession, user: CurrentUser
) -> dict[str, Any]:
    """Admins: a new version of the category (or a new one); `active: false` withdraws it."""
    row = reductions.save_category(session, user, category_code, body)
    return row.model_dump(exclude={"created_by_id"})
