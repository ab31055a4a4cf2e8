"""Secret tokens for feed URLs (calendar subscriptions) that can be rotated and revoked.

A token is derived from the server's secret key and its row (`HMAC(secret, "feed:<id>:<scope>")`),
so the owner's page can show the same link on every visit, while the database keeps only its
SHA-256: a copy of the database opens no feed. Rotating revokes the scope's token and issues a new
one (a new row, so a new token); revoking leaves the scope without one until the next is issued.
Callers check who may manage a scope; this module knows no domain ("organization:12", "room:5").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from sqlmodel import Session, col, select

from facility.core import audit
from facility.core.db import utcnow
from facility.core.models import FeedToken, User


def _derive(secret_key: str, row: FeedToken) -> str:
    digest = hmac.new(secret_key.encode(), f"feed:{row.id}:{row.scope}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _active(session: Session, scope: str) -> FeedToken | None:
    query = select(FeedToken).where(FeedToken.scope == scope, col(FeedToken.revoked_at).is_(None))
    return session.exec(query.order_by(col(FeedToken.id).desc())).first()


def _issue(session: Session, secret_key: str, scope: str, actor: User | None) -> str:
    # The id is part of the token, so the row goes in first with a placeholder nobody can present.
    row = FeedToken(scope=scope, token_hash=f"pending-{secrets.token_hex(16)}", created_by=actor.id if actor else None)
    session.add(row)
    session.flush()
    token = _derive(secret_key, row)
    row.token_hash = _hash(token)
    session.add(row)
    session.flush()
    audit.record(session, actor, "feed_token.issue", "feed_token", row.id, after={"scope": scope})
    return token


def current_token(session: Session, secret_key: str, scope: str, actor: User | None) -> str | None:
    """The scope's live token, issued on first use; None once revoked (until `rotate` issues one)."""
    row = _active(session, scope)
    if row is not None:
        return _derive(secret_key, row)
    if session.exec(select(FeedToken.id).where(FeedToken.scope == scope)).first() is not None:
        return None
    return _issue(session, secret_key, scope, actor)


def rotate(session: Session, secret_key: str, scope: str, actor: User) -> str:
    """Revoke the scope's token and issue a new one; the old link stops working at once."""
    revoke(session, scope, actor)
    return _issue(session, secret_key, scope, actor)


def revoke(session: Session, scope: str, actor: User) -> bool:
    """Revoke the scope's live token, if any; True when one was revoked."""
    row = _active(session, scope)
    if row is None:
        return False
    row.revoked_at = utcnow()
    session.add(row)
    session.flush()
    audit.record(session, actor, "feed_token.revoke", "feed_token", row.id, after={"scope": scope})
    return True


def is_valid(session: Session, scope: str, token: str) -> bool:
    """True when the token is the scope's live one."""
    row = session.exec(select(FeedToken).where(FeedToken.token_hash == _hash(token))).first()
    return row is not None and row.scope == scope and row.revoked_at is None
