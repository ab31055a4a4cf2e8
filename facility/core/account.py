"""The person's own account, as a page (`/account`) and as API (`/api/v1/users/me`): profile,
organisation contacts, withdrawal. The rules are in core/profile.py."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from facility.core import profile
from facility.core.auth import CurrentUser, DbSession
from facility.core.errors import Conflict, FacilityError, Forbidden, InvalidInput, NotAuthenticated, error_responses
from facility.core.i18n import gettext as _
from facility.core.models import Organization, User
from facility.core.schemas import UserPublic
from facility.core.web import flash, form_savepoint, redirect, render

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["accounts"])
PAGE = "core/account.html"


class ProfileUpdate(BaseModel):
    full_name: str = Field(min_length=1, max_length=100)
    locale: str | None = Field(default=None, pattern="^(ko|en)$")


class Withdrawal(BaseModel):
    password: str = Field(min_length=1, max_length=200)


def _context(session: Session, user: User, **extra: Any) -> dict[str, Any]:
    org = session.get(Organization, user.organization_id) if user.organization_id else None
    return {"org": org, "errors": {}, "error": None, **extra}


@pages.get("/account")
def account_page(request: Request, session: DbSession, user: CurrentUser) -> Response:
    return render(request, PAGE, _context(session, user))


def _refused(request: Request, session: DbSession, user: User, error: FacilityError, form: str) -> Response:
    context = _context(session, user, error=error.message, failed=form)
    return render(request, PAGE, context, status_code=error.status_code)


@pages.post("/account/profile")
def save_profile(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    full_name: Annotated[str, Form(max_length=100)],
    locale: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    try:
        with form_savepoint(session):
            profile.update_profile(session, user, full_name=full_name, locale=locale or None)
    except FacilityError as error:
        return _refused(request, session, user, error, "profile")
    flash(request, _("Your details are saved."))
    return redirect(request, "/account")


@pages.post("/account/organization")
def save_organization(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    contact_name: Annotated[str, Form(max_length=100)] = "",
    contact_phone: Annotated[str, Form(max_length=40)] = "",
    contact_email: Annotated[str, Form(max_length=254)] = "",
    business_number: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    try:
        with form_savepoint(session):
            profile.update_organization_contacts(
                session,
                user,
                contact_name=contact_name,
                contact_phone=contact_phone,
                contact_email=contact_email,
                business_number_text=business_number,
            )
    except FacilityError as error:
        return _refused(request, session, user, error, "organization")
    flash(request, _("Your organisation's contacts are saved."))
    return redirect(request, "/account")


@pages.post("/account/withdraw")
def withdraw(
    request: Request, session: DbSession, user: CurrentUser, password: Annotated[str, Form(max_length=200)]
) -> Response:
    """회원 탈퇴: erased and signed out everywhere; the financial records stay, anonymised."""
    try:
        with form_savepoint(session):
            profile.withdraw(session, user, password)
    except FacilityError as error:
        return _refused(request, session, user, error, "withdraw")
    request.session.clear()
    flash(request, _("Your account is closed and your personal details are erased."))
    return redirect(request, "/login")


@api.patch("/users/me", response_model=UserPublic, responses=error_responses(NotAuthenticated, InvalidInput))
def update_me(body: ProfileUpdate, session: DbSession, user: CurrentUser) -> UserPublic:
    """Change your own name (and language)."""
    profile.update_profile(session, user, full_name=body.full_name, locale=body.locale)
    return UserPublic.model_validate(user, from_attributes=True)


WITHDRAW_ERRORS = error_responses(NotAuthenticated, Forbidden, InvalidInput, Conflict)


@api.post("/users/me/withdraw", status_code=204, responses=WITHDRAW_ERRORS)
def withdraw_me(body: Withdrawal, session: DbSession, user: CurrentUser) -> Response:
    """회원 탈퇴 with your password: your details are erased, bookings and invoices kept anonymised."""
    profile.withdraw(session, user, body.password)
    return Response(status_code=204)
