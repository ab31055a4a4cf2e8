"""`Idempotency-Key` for POSTs that create things: a retry with the same key gets the first answer.

A route opts in by naming the dependency: `dependencies=[IDEMPOTENT]`. Then:
- The dependency runs inside the request's unit of work and inserts the key's row (user, key,
  method, path, SHA-256 of the body) under a savepoint. The row commits with the effect or rolls
  back with it, so a request that failed leaves its key free for the retry, and one that succeeded
  can never run again under that key.
- A second request with the key finds the row: different method, path or body -> 422; the first
  answer recorded -> that answer again (status and body, header `Idempotent-Replayed: true`);
  no answer yet (the first is still running) -> 409 `idempotency_in_progress` with `Retry-After`.
  Two at the same instant are decided by the unique index on (user, key): on PostgreSQL the second
  insert waits for the first transaction and then fails; SQLite runs one writer at a time.
- `IdempotencyRecorder` (ASGI middleware) keeps the answer: after the endpoint (whose unit of work
  has committed by then) and before the response leaves, it stores status, type and body in the row.
  5xx answers are not stored: a 503 or a crash leaves the row without an answer, answered 409.
Keys are per user and kept 24 hours; anonymous requests ignore the header.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import Response
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from facility.core.auth import DbSession, OptionalUser
from facility.core.db import session_scope, utcnow
from facility.core.errors import Conflict, InvalidInput
from facility.core.i18n import gettext as _
from facility.core.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Printable ASCII, no spaces: a UUID, or whatever opaque string a client makes.
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")
# Long enough for a tablet to come back online and retry, as Stripe keeps its keys.
KEEP_FOR = timedelta(hours=24)
_STATE_KEY_ID = "idempotency_key_id"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class ReplayedAnswer(Exception):
    """The stored first answer to this key, to be sent again."""

    def __init__(self, row: IdempotencyKey) -> None:
        super().__init__(row.key)
        self.status_code = row.status_code or 200
        self.content_type = row.content_type
        self.body = row.response_body or b""


async def request_digest(request: Request) -> str:
    """SHA-256 of what was sent: the raw body, or the form's fields when it was a form."""
    if request.headers.get("content-type", "").startswith(_FORM_TYPES):
        items = sorted((k, str(getattr(v, "filename", v))) for k, v in (await request.form()).multi_items())
        payload = repr(items).encode()
    else:
        payload = await request.body()
    return hashlib.sha256(payload).hexdigest()


def _find(session: Session, user_id: int, key: str) -> IdempotencyKey | None:
    query = select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    return session.exec(query.execution_options(populate_existing=True)).first()


async def claim_key(
    request: Request,
    session: DbSession,
    user: OptionalUser,
    idempotency_key: Annotated[str | None, Header(alias=HEADER, description="Retry safely: docs/security.md")] = None,
) -> None:
    """Record this request's key in its unit of work, or answer as the first request with it did.

    Async, with the database work on a worker thread only when a key was sent: most requests
    carry none, and a sync dependency would cost each of them a thread hop."""
    if idempotency_key is None or user is None or user.id is None:
        return
    check_key(idempotency_key)
    digest = await request_digest(request)
    await run_in_threadpool(claim, request, session, user.id, idempotency_key, digest)


def check_key(idempotency_key: str) -> None:
    if not KEY_PATTERN.match(idempotency_key):
        raise InvalidInput(_("The Idempotency-Key header must be 1 to 255 printable characters without spaces."))


def claim(request: Request, session: Session, user_id: int, idempotency_key: str, digest: str) -> None:
    """Insert the key's row in this unit of work, or raise as the first request's answer says."""
    cutoff = utcnow() - KEEP_FOR
    session.execute(delete(IdempotencyKey).where(col(IdempotencyKey.created_at) < cutoff))
    row = _find(session, user_id, idempotency_key)
    if row is None:
        fresh = IdempotencyKey(
            user_id=user_id,
            key=idempotency_key,
            method=request.method,
            path=request.url.path,
            request_hash=digest,
        )
        try:
            with session.begin_nested():
                session.add(fresh)
        except IntegrityError:
            row = _find(session, user_id, idempotency_key)
        else:
            request.state.idempotency_key_id = fresh.id
            return
    if row is None:  # the other request rolled back between our insert and our read
        raise Conflict(_("A request with this Idempotency-Key is still in progress."), code="idempotency_in_progress")
    if (row.method, row.path, row.request_hash) != (request.method, request.url.path, digest):
        raise InvalidInput(
            _("This Idempotency-Key was used for a different request; use a new key."),
            code="idempotency_key_reused",
        )
    if row.status_code is None:
        raise Conflict(
            _("A request with this Idempotency-Key is still in progress."),
            code="idempotency_in_progress",
            headers={"Retry-After": "1"},
        )
    raise ReplayedAnswer(row)


IDEMPOTENT = Depends(claim_key)
# The header as `IDEMPOTENT` documents it, for a route that claims its key itself (core/one_hop.py).
IDEMPOTENCY_HEADER_DOC: dict[str, Any] = {
    "parameters": [
        {
            "name": HEADER,
            "in": "header",
            "required": False,
            "description": "Retry safely: docs/security.md",
            "schema": {"type": "string"},
        }
    ]
}


def _record_answer(engine: Any, key_id: int, status: int, content_type: str, body: bytes) -> None:
    with session_scope(engine) as session:
        session.execute(
            update(IdempotencyKey)
            .where(col(IdempotencyKey.id) == key_id)
            .values(status_code=status, content_type=content_type[:100], response_body=body)
        )


class IdempotencyRecorder:
    """ASGI middleware: store the first answer to a keyed request before sending it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        keyed = scope["type"] == "http" and any(name == b"idempotency-key" for name, _ in scope["headers"])
        if not keyed:
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []

        async def hold(message: Message) -> None:
            messages.append(message)

        await self.app(scope, receive, hold)
        key_id = scope.get("state", {}).get(_STATE_KEY_ID)
        start = next((m for m in messages if m["type"] == "http.response.start"), None)
        if key_id is not None and start is not None and start["status"] < 500:
            headers = dict(start.get("headers", []))
            body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
            content_type = headers.get(b"content-type", b"").decode("latin-1")
            engine = scope["app"].state.engine
            await run_in_threadpool(_record_answer, engine, key_id, start["status"], content_type, body)
        for message in messages:
            await send(message)


def install(app: FastAPI) -> None:
    """Replay stored answers, and record first ones (inside the SQLite write gate: add it first)."""

    @app.exception_handler(ReplayedAnswer)
    async def _replay(_request: Request, answer: ReplayedAnswer) -> Response:
        return Response(
            answer.body,
            status_code=answer.status_code,
            media_type=answer.content_type or None,
            headers={REPLAYED_HEADER: "true"},
        )

    app.add_middleware(IdempotencyRecorder)
