"""The admin's page of reduction categories: those in force and those retired, each with its
versions; add one, save a new version of one, retire one. Every save goes through
`reductions.save_category`, as `PUT /api/v1/reduction-categories/{code}` does."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response

from facility.booking import reductions
from facility.booking.rental_models import ReductionCategory
from facility.core.auth import CurrentUser, DbSession, ensure_role
from facility.core.errors import NotFound
from facility.core.i18n import gettext as _
from facility.core.models import Role, User
from facility.core.web import flash, redirect, render, request_language

router = APIRouter(include_in_schema=False)
PAGE = "/admin/reduction-categories"
Code = Annotated[str, Path(min_length=1, max_length=30)]
Percent = Annotated[int, Form(ge=0, le=100)]
Name = Annotated[str, Form(min_length=1, max_length=100)]
Hint = Annotated[str, Form(max_length=300)]
# An unticked checkbox sends nothing: absent means "no proof needed".
ProofRequired = Annotated[bool, Form()]


@router.get(PAGE)
def categories_page(request: Request, session: DbSession, user: CurrentUser) -> Response:
    """Every category with its rate, proof and names, and the versions saved of it."""
    ensure_role(user, Role.admin)
    every = reductions.current_categories(session, with_inactive=True)
    in_force = reductions.current_categories(session)
    history = {code: reductions.category_history(session, code) for code in every}
    authors = {row.created_by_id for rows in history.values() for row in rows if row.created_by_id}
    context = {
        "in_force": list(in_force.values()),
        "retired": [c for code, c in every.items() if code not in in_force],
        "history": history,
        "people": {i: session.get(User, i) for i in authors},
    }
    return render(request, "booking/reduction_categories.html", context)


def _saved(request: Request, row: ReductionCategory) -> Response:
    name = row.name_en if request_language(request) == "en" else row.name_ko
    if row.active:
        flash(request, _("{name} saved as version {version}.", name=name, version=row.version))
    else:
        flash(request, _("{name} retired (version {version}).", name=name, version=row.version))
    return redirect(request, PAGE)


@router.post(PAGE)
def add_category(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    code: Annotated[str, Form(min_length=1, max_length=30)],
    percent: Percent,
    name_ko: Name,
    name_en: Name,
    proof_hint: Hint = "",
    proof_required: ProofRequired = False,
) -> Response:
    """A new category (a code already there gets a new version, as the API's PUT does)."""
    body = reductions.CategorySave(
        percent=percent, proof_required=proof_required, name_ko=name_ko, name_en=name_en, proof_hint=proof_hint
    )
    return _saved(request, reductions.save_category(session, user, code, body))


@router.post(PAGE + "/{category_code}")
def save_category(
    request: Request,
    category_code: Code,
    session: DbSession,
    user: CurrentUser,
    percent: Percent,
    name_ko: Name,
    name_en: Name,
    proof_hint: Hint = "",
    proof_required: ProofRequired = False,
) -> Response:
    """A new version of the category, in force (a retired one is put back)."""
    body = reductions.CategorySave(
        percent=percent, proof_required=proof_required, name_ko=name_ko, name_en=name_en, proof_hint=proof_hint
    )
    return _saved(request, reductions.save_category(session, user, category_code, body))


@router.post(PAGE + "/{category_code}/retire")
def retire_category(request: Request, category_code: Code, session: DbSession, user: CurrentUser) -> Response:
    """A new version with `active: false`: new claims can no longer name it; claims made keep it."""
    ensure_role(user, Role.admin)
    current = reductions.current_categories(session).get(category_code)
    if current is None:
        raise NotFound(_("No such reduction category in force."))
    body = reductions.CategorySave(
        percent=current.percent,
        proof_required=current.proof_required,
        name_ko=current.name_ko,
        name_en=current.name_en,
        proof_hint=current.proof_hint,
        active=False,
    )
    return _saved(request, reductions.save_category(session, user, category_code, body))
