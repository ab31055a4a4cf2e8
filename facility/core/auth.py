"""Who is asking: bearer token or session cookie, the role checks services call, and CSRF."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session

from facility.core import memo
from facility.core.db import SAFE_METHODS, get_session
from facility.core.errors import Forbidden, NotAuthenticated
from facility.core.i18n import gettext as _
from facility.core.models import Role, User
from facility.core.security import read_token

SESSION_USER_KEY = "uid"
SESSION_VERSION_KEY = "sv"
SESSION_CSRF_KEY = "csrf"


def ensure_role(user: User | None, *roles: Role | str) -> User:
    """Raise unless the user is signed in, active and holds one of the roles."""
    if user is None or not user.active:
        raise NotAuthenticated(_("Sign in to continue."))
    if roles and user.role not in {str(r) for r in roles}:
        raise Forbidden(_("Your role does not allow this action."))
    return user


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _space, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


# The unit of work ends with the endpoint ("function" scope), before the response is sent: a
# client told 201 or redirected must find what it created, and a failed commit fails the request.
# (FastAPI's default would commit after the response had gone out.)
DbSession = Annotated[Session, Depends(get_session, scope="function")]


def optional_user(request: Request, session: DbSession) -> User | None:
    """The signed-in user, or None; a bad bearer token is an error, not anonymity."""
    return resolve_user(request, session)


def resolve_user(request: Request, session: Session) -> User | None:
    """`optional_user` as a plain function, for a unit of work run in one thread (core/one_hop.py)."""
    settings = request.app.state.settings
    token = _bearer(request)
    uid: int | None
    version: int | None
    if token is not None:
        claims = read_token(request.app.state.secret_key, token, settings.token_ttl_minutes * 60)
        if claims is None:
            raise NotAuthenticated(_("The access token is invalid or has expired."))
        uid, version = claims
    else:
        uid, version = request.session.get(SESSION_USER_KEY), request.session.get(SESSION_VERSION_KEY)
    if uid is None:
        return None
    user = load_user(session, uid)
    # A signed-out session or token carries an older version than the user's: it is revoked.
    if user is None or not user.active or version != user.session_version:
        if token is not None:
            raise NotAuthenticated(_("The access token has been revoked or its account is disabled."))
        request.session.clear()
        return None
    request.state.user = user
    return user


def load_user(session: Session, uid: int) -> User | None:
    """The user, attached to this session, from a memo of its row (core/memo.py): every request
    asks who is asking, and the row changes when a user signs in or out, or is edited.

    A sign-out, disablement or password change counts from the next transaction that starts after
    it commits, whichever process made it (the read model's version, core/memo.py)."""
    present = session.identity_map.get(identity_key(User, uid))
    if present is not None:
        return present  # type: ignore[no-any-return]

    def read(s: Session) -> User | None:
        row = s.get(User, uid)
        return None if row is None else memo.copy_of(row)

    remembered = memo.remembered(session, f"auth.user:{uid}", ("user_account",), read)
    if remembered is None:
        return None
    user = memo.copy_of(remembered)
    # As if just read by this session: attached, clean, and written back only where changed.
    make_transient_to_detached(user)
    session.add(user)
    return user


def start_session(request: Request, user: User) -> None:
    """A fresh browser session for this user, so a planted session id or token cannot carry over."""
    request.session.clear()
    request.session[SESSION_USER_KEY] = user.id
    request.session[SESSION_VERSION_KEY] = user.session_version
    csrf_token(request)


async def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    # Async on purpose: FastAPI runs a sync dependency on a worker thread, a hop for nothing here.
    return ensure_role(user)


OptionalUser = Annotated[User | None, Depends(optional_user)]
CurrentUser = Annotated[User, Depends(current_user)]


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get(SESSION_CSRF_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF_KEY] = token
    return str(token)


async def csrf_protect(request: Request) -> None:
    """Reject unsafe requests that ride on the session cookie without the session's token.

    Bearer-token API calls carry no ambient authority and are exempt; so are API calls with no
    signed-in session (the token endpoint). Every page form post is checked, sign-in included.
    """
    if request.method in SAFE_METHODS or _bearer(request):
        return
    is_api = request.scope["path"].startswith("/api/")
    if is_api and SESSION_USER_KEY not in request.session:
        return
    expected = request.session.get(SESSION_CSRF_KEY)
    sent = request.headers.get("x-csrf-token")
    content_type = request.headers.get("content-type", "")
    if not sent and content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        sent = str((await request.form()).get("csrf_token") or "")
    if not expected or not sent or not secrets.compare_digest(str(expected), sent):
        raise Forbidden(
            _("The form has expired or did not come from this site; reload the page and try again."),
            code="csrf",
        )
