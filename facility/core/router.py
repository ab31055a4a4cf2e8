"""JSON API for sign-in, accounts, organisations and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from facility.core import accounts, audit, password_links, signin
from facility.core.auth import CurrentUser, DbSession
from facility.core.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    TooManyRequests,
    error_responses,
)
from facility.core.i18n import gettext as _
from facility.core.models import OrgStatus
from facility.core.params import Limit, ObjectId, Offset
from facility.core.schemas import (
    AuditList,
    OrganizationDecision,
    OrganizationPublic,
    PasswordChange,
    PasswordResetAccepted,
    PasswordResetConfirm,
    PasswordResetRequest,
    RenterSignUp,
    SignUpAccepted,
    Token,
    UserCreate,
    UserPublic,
)
from facility.core.security import issue_token
from facility.core.signin import known_device, sign_in

router = APIRouter(prefix="/api/v1", tags=["accounts"])


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post(
    "/auth/token",
    response_model=Token,
    responses=error_responses(NotAuthenticated, TooManyRequests),
)
def issue_access_token(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: DbSession,
) -> Token:
    """OAuth2 password flow: form fields `username` (the e-mail) and `password`."""
    device = known_device(request, form.username)
    user = sign_in(session, form.username, form.password, client_address(request), device)
    ttl = request.app.state.settings.token_ttl_minutes * 60
    token = issue_token(request.app.state.secret_key, user.id, user.session_version)  # type: ignore[arg-type]
    return Token(access_token=token, expires_in=ttl)


@router.post("/auth/logout", status_code=204, responses=error_responses(NotAuthenticated))
def revoke_access_tokens(session: DbSession, user: CurrentUser) -> Response:
    """Sign out everywhere: this token, the user's other tokens and their browser sessions stop working."""
    accounts.sign_out(session, user)
    return Response(status_code=204)


@router.post(
    "/auth/password-reset",
    response_model=PasswordResetAccepted,
    status_code=202,
    responses=error_responses(InvalidInput, TooManyRequests),
)
def request_password_reset(request: Request, body: PasswordResetRequest, session: DbSession) -> PasswordResetAccepted:
    """E-mail a one-time link to set a new password. The same answer for any address: only the
    address's owner learns (by the e-mail) whether it has an account."""
    password_links.request_reset(session, body.email)
    return PasswordResetAccepted(detail=password_links.reset_notice())


@router.post(
    "/auth/password-reset/confirm",
    status_code=204,
    responses=error_responses(InvalidInput),
)
def confirm_password_reset(body: PasswordResetConfirm, session: DbSession) -> Response:
    """Set the password with the link's token; the token is spent, every session of the account ends."""
    password_links.redeem(session, body.token, body.password)
    return Response(status_code=204)


@router.post(
    "/auth/password",
    status_code=204,
    responses=error_responses(InvalidInput, NotAuthenticated, TooManyRequests),
)
def change_password(body: PasswordChange, session: DbSession, user: CurrentUser) -> Response:
    """Replace your password (the current one first). Every session and token of the account,
    this one included, ends: ask for a new token with the new password."""
    accounts.change_password(session, user, body.current_password, body.password)
    return Response(status_code=204)


@router.post(
    "/users/{user_id}/password-link",
    response_model=PasswordResetAccepted,
    status_code=202,
    responses=error_responses(Forbidden, NotFound, NotAuthenticated),
)
def send_password_link(
    request: Request, user_id: ObjectId, session: DbSession, user: CurrentUser
) -> PasswordResetAccepted:
    """Admins e-mail any user a one-time link to set their password (a forgotten or never-known one)."""
    target = password_links.send_link_as_admin(session, user, user_id)
    return PasswordResetAccepted(detail=_("A link to set the password was sent to {email}.", email=target.email))


@router.get("/users/me", response_model=UserPublic, responses=error_responses(NotAuthenticated))
def read_me(user: CurrentUser) -> UserPublic:
    return UserPublic.model_validate(user, from_attributes=True)


@router.post(
    "/users",
    response_model=UserPublic,
    status_code=201,
    responses=error_responses(Forbidden, Conflict, InvalidInput, NotAuthenticated),
)
def create_user(body: UserCreate, session: DbSession, user: CurrentUser) -> UserPublic:
    """Admins create staff accounts (and renters inside an existing organisation)."""
    created = accounts.create_user(
        session,
        user,
        email=body.email,
        password=body.password,
        role=body.role,
        full_name=body.full_name,
        organization_id=body.organization_id,
    )
    return UserPublic.model_validate(created, from_attributes=True)


@router.post(
    "/signup",
    response_model=SignUpAccepted,
    status_code=202,
    responses=error_responses(Conflict, InvalidInput, TooManyRequests),
)
def sign_up(request: Request, body: RenterSignUp, session: DbSession) -> SignUpAccepted:
    """A renter registers with their organisation, which then waits for a manager's approval.

    The same answer whether the address already had an account or not; its owner gets an e-mail
    either way (a welcome, or a note that someone tried), and a new account signs in as usual.
    """
    return SignUpAccepted(detail=signin.sign_up(session, client_address(request), **body.model_dump()))


@router.get(
    "/organizations",
    response_model=list[OrganizationPublic],
    responses=error_responses(Forbidden, NotAuthenticated),
)
def list_organizations(
    session: DbSession, user: CurrentUser, status: OrgStatus | None = None
) -> list[OrganizationPublic]:
    orgs = accounts.list_organizations(session, user, status=status)
    return [OrganizationPublic.model_validate(o, from_attributes=True) for o in orgs]


@router.post(
    "/organizations/{org_id}/decision",
    response_model=OrganizationPublic,
    responses=error_responses(Forbidden, NotFound, InvalidInput, NotAuthenticated),
)
def decide_organization(
    org_id: ObjectId, body: OrganizationDecision, session: DbSession, user: CurrentUser
) -> OrganizationPublic:
    org = accounts.decide_organization(session, user, org_id, approve=body.approve, reason=body.reason)
    return OrganizationPublic.model_validate(org, from_attributes=True)


@router.get("/audit", response_model=AuditList, responses=error_responses(Forbidden, NotAuthenticated))
def list_audit(
    session: DbSession,
    user: CurrentUser,
    entity: Annotated[str | None, Query(max_length=60)] = None,
    action: Annotated[str | None, Query(max_length=80)] = None,
    actor: Annotated[str | None, Query(max_length=254)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> AuditList:
    rows, total = audit.list_entries(
        session, user, entity=entity, action=action, actor_label=actor, limit=limit, offset=offset
    )
    return AuditList.model_validate({"items": [r.model_dump() for r in rows], "total": total})
