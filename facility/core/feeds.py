"""Secret tokens for feed URLs (calendar subscriptions) that can be rotated and revoked.

A token is derived from the server's secret key and its row (`HMAC(secret, "feed:<id>:<scope>")`),
so the owner's page can show the same link on every visit, while the database keeps only its
SHA-256: a copy of the database opens no feed. Before a scope's first rotation its token is
derived from the scope alone (row id 0), so showing a link writes nothing: a page view stays a
read (a GET that wrote met SQLite's lock while the gateway wrote). Rotating revokes the scope's
token and issues a new one (a new row, so a new token); revoking leaves the scope without one until
the next is issued; either leaves a row, which retires the first token.
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

# The id standing for a scope's first token, which has no row (ids start at 1).
FIRST = 0


def _derive(secret_key: str, row_id: int, scope: str) -> str:
    digest = hmac.new(secret_key.encode(), f"feed:{row_id}:{scope}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _newest(session: Session, scope: str) -> FeedToken | None:
    return session.exec(select(FeedToken).where(FeedToken.scope == scope).order_by(col(FeedToken.id).desc())).first()


def _issue(session: Session, secret_key: str, scope: str, actor: User | None) -> str:
    # The id is part of the token, so the row goes in first with a placeholder nobody can present.
    row = FeedToken(scope=scope, token_hash=f"pending-{secrets.token_hex(16)}", created_by=actor.id if actor else None)
    session.add(row)
    session.flush()
    token = _derive(secret_key, row.id, scope)  # type: ignore[arg-type]
    row.token_hash = _hash(token)
    session.add(row)
    session.flush()
    audit.record(session, actor, "feed_token.issue", "feed_token", row.id, after={"scope": scope})
    return token


def current_token(session: Session, secret_key: str, scope: str) -> str | None:
    """The scope's live token, None once revoked (until `rotate` issues one); reads only."""
    row = _newest(session, scope)
    if row is None:
        return _derive(secret_key, FIRST, scope)
    return _derive(secret_key, row.id, scope) if row.revoked_at is None else None  # type: ignore[arg-type]


def rotate(session: Session, secret_key: str, scope: str, actor: User) -> str:
    """Revoke the scope's token and issue a new one; the old link stops working at once."""
    revoke(session, scope, actor)
    return _issue(session, secret_key, scope, actor)


def revoke(session: Session, scope: str, actor: User) -> bool:
    """Revoke the scope's live token, if any; True when one was revoked. The first token has no
    row: a revoked row in its place retires it."""
    row = _newest(session, scope)
    if row is not None and row.revoked_at is not None:
        return False
    if row is None:
        row = FeedToken(scope=scope, token_hash=f"first-{secrets.token_hex(16)}", created_by=actor.id)
    row.revoked_at = utcnow()
    session.add(row)
    session.flush()
    audit.record(session, actor, "feed_token.revoke", "feed_token", row.id, after={"scope": scope})
    return True


def is_valid(session: Session, secret_key: str, scope: str, token: str) -> bool:
    """True when the token is the scope's live one."""
    row = session.exec(select(FeedToken).where(FeedToken.token_hash == _hash(token))).first()
    if row is not None:
        return row.scope == scope and row.revoked_at is None
    first = _derive(secret_key, FIRST, scope)
    # As bytes: compare_digest refuses str with non-ASCII characters, which a caller may send.
    return hmac.compare_digest(token.encode(), first.encode()) and _newest(session, scope) is None
