"""The edge of signing in and up, shared by the API and the pages, and the cookie that marks a
browser as one that signed in to an account before."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from facility.core import accounts
from facility.core.db import claim_write_lock
from facility.core.errors import NotAuthenticated
from facility.core.i18n import gettext as _
from facility.core.models import User
from facility.core.security import sign_value, unsign_value

DEVICE_COOKIE = "facility_device"
DEVICE_SALT = "known-device"
DEVICE_MAX_AGE_S = 365 * 86400


def sign_in(session: Session, email: str, password: str, ip: str, device: str | None = None) -> User:
    """The user for these credentials; 429 while throttled, 401 for wrong ones."""
    accounts.admit_sign_in(session, email, ip, device)
    # The one commit ahead of the unit of work's own: the attempt must count even when this
    # request fails, and the throttle rows stay locked only until here, not while Argon2 runs.
    session.commit()
    claim_write_lock(session)
    user = accounts.authenticate(session, email, password, ip, device)
    if user is None:
        raise NotAuthenticated(_("Wrong e-mail or password."), code="bad_credentials")
    return user


def sign_up(session: Session, ip: str, **fields: Any) -> str:
    """Register a renter (`accounts.sign_up_renter`'s fields), counted per address first; the
    notice to show, one for a new address and a known one alike."""
    accounts.admit_sign_up(session, ip)
    # As for signing in: the attempt counts even when the sign-up is refused.
    session.commit()
    claim_write_lock(session)
    try:
        with session.begin_nested():
            accounts.sign_up_renter(session, **fields)
    except IntegrityError:
        # A sign-up with the same address won the race a moment ago: answered as a known address.
        pass
    return _(
        "Thank you. We have sent an e-mail to {email} saying what happens next. A new account signs "
        "in with this address and the password just chosen; its organisation then waits for a "
        "manager's approval.",
        email=accounts.normalise_email(fields["email"]),
    )


def known_device(request: Request, email: str) -> str | None:
    """The id of this browser when it signed in to this account before, from its signed cookie."""
    value = request.cookies.get(DEVICE_COOKIE)
    signed = unsign_value(request.app.state.secret_key, DEVICE_SALT, value) if value else None
    if signed is None:
        return None
    account, _sep, device = signed.rpartition("|")
    return device if device and account == email.strip().lower() else None


def remember_device(request: Request, response: Response, user: User) -> None:
    """Mark this browser as one that signed in to the account (unless it already is)."""
    if known_device(request, user.email) is not None:
        return
    value = sign_value(request.app.state.secret_key, DEVICE_SALT, f"{user.email}|{secrets.token_urlsafe(12)}")
    settings = request.app.state.settings
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=DEVICE_MAX_AGE_S,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )
