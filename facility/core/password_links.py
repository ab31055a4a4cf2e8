"""One-time links that set a password: a reset its owner asks for, or one an admin sends.

The token is 32 random bytes in the link; only its SHA-256 is stored. A link works once, for
`LINK_TTL`, and setting the password ends every session and token of the account. See docs/security.md.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlmodel import Session, col, select, update

from facility.core import accounts, audit, outbox, throttle
from facility.core.auth import ensure_role
from facility.core.config import absolute_url
from facility.core.db import utcnow
from facility.core.errors import InvalidInput, NotFound
from facility.core.i18n import gettext as _
from facility.core.i18n import gettext_noop as N_
from facility.core.models import PasswordResetToken, Role, User

LINK_TTL = timedelta(minutes=60)
# An invitation waits for someone who may read it next week (imported staff).
INVITATION_TTL = timedelta(days=7)
# Resets asked for one address: a few are free (a mail that went to spam, a second try), then a
# minute's wait doubling to an hour, so nobody can flood a mailbox through us.
REQUEST_BUDGET = throttle.Budget(free_attempts=3, first_delay_s=60.0, max_delay_s=3600.0, quiet_reset_s=3600.0)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _store_token(session: Session, actor: User | None, user: User, ttl: timedelta) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        PasswordResetToken(
            user_id=user.id,  # type: ignore[arg-type]
            token_hash=_hash(token),
            created_by=actor.id if actor else None,
            expires_at=utcnow() + ttl,
        )
    )
    return token


def invite(session: Session, actor: User | None, user: User) -> None:
    """E-mail a new account (imported staff) a link to choose its first password; nobody else
    ever sees a password. Valid for `INVITATION_TTL`, once."""
    token = _store_token(session, actor, user, INVITATION_TTL)
    outbox.enqueue_email(
        session,
        to=user.email,
        subject=_("Your account on the campus booking service"),
        body=_(
            "An account was made for you ({email}). Open this link to choose your password: {url}\n"
            "It works once, within {days} days; after that an administrator can send a new one.",
            email=user.email,
            url=absolute_url(f"/password-reset/{token}"),
            days=INVITATION_TTL.days,
        ),
    )
    session.flush()
    audit.record(session, actor, "user.invitation", "user", user.id)


def send_link(session: Session, actor: User | None, user: User) -> None:
    """Store a new token for `user` and e-mail them its link under FACILITY_BASE_URL (never the
    request's Host header, which a caller chooses)."""
    token = _store_token(session, actor, user, LINK_TTL)
    minutes = int(LINK_TTL.total_seconds() // 60)
    outbox.enqueue_email(
        session,
        to=user.email,
        subject=_("Set your password"),
        body=_(
            "Open this link to choose a new password for your account: {url}\n"
            "It works once, within {minutes} minutes. If you did not ask for it, ignore this message: "
            "your password stays as it is.",
            url=absolute_url(f"/password-reset/{token}"),
            minutes=minutes,
        ),
    )
    session.flush()
    audit.record(session, actor, "user.password_link", "user", user.id)


def request_reset(session: Session, email: str) -> None:
    """Someone forgot their password: e-mail a link if the address has an active account, and
    do nothing visible otherwise. Counted per address (429 past the budget) whether or not it has
    an account, so neither the answer nor the limit tells which addresses do."""
    email = accounts.normalise_email(email)
    wait = throttle.take_attempt(session, f"reset:{email}", REQUEST_BUDGET)
    if wait:
        raise accounts.refuse_for(wait, N_("Too many reset requests for this address. Try again in {seconds} seconds."))
    user = accounts.get_user_by_email(session, email)
    if user is not None and user.active:
        send_link(session, None, user)


def reset_notice() -> str:
    return _(
        "If this address has an account, we have sent it a link to set a new password. It works once, within an hour."
    )


def send_link_as_admin(session: Session, actor: User, user_id: int) -> User:
    """An admin sends any user a link to set their password (a forgotten or never-known one)."""
    ensure_role(actor, Role.admin)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(_("No such user."))
    send_link(session, actor, user)
    return user


def redeem(session: Session, token: str, password: str) -> User:
    """Set the password the link `token` is for, once; the user's other open links stop too."""
    query = select(PasswordResetToken).where(PasswordResetToken.token_hash == _hash(token)).with_for_update()
    row = session.exec(query).first()
    user = session.get(User, row.user_id) if row is not None else None
    if row is None or row.used_at is not None or row.expires_at <= utcnow() or user is None or not user.active:
        raise InvalidInput(
            _("This link has been used or has expired. Ask for a new one."), code="password_link_invalid"
        )
    accounts.set_password(session, user, user, password)
    session.execute(
        update(PasswordResetToken)
        .where(col(PasswordResetToken.user_id) == user.id, col(PasswordResetToken.used_at).is_(None))
        .values(used_at=utcnow())
    )
    return user
