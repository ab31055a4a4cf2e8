"""A request's whole unit of work on one worker thread: who is asking, the Idempotency-Key, the
service call and the commit.

Why: FastAPI runs each sync dependency and the endpoint on a worker thread of their own, so a
booking request made four hops (open the session, read the user, run the endpoint, commit) before
its answer, and at rush hour the hops cost as much CPU as the booking. The busiest write endpoints
are `async` and hand this module one function instead; every other route keeps the dependencies,
which do the same in more hops (`auth.optional_user`, `db.get_session`, `idempotency.claim_key`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import Request
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from facility.core import memo
from facility.core.auth import ensure_role, resolve_user
from facility.core.db import autocommit_scope, lost_race, session_scope
from facility.core.idempotency import HEADER, check_key, claim, request_digest
from facility.core.models import User

T = TypeVar("T")


async def run_unit_of_work(
    request: Request,
    work: Callable[[Session, User, bool], T],
    *,
    idempotent: bool = False,
    screen: Callable[[Session, User], None] | None = None,
) -> T:
    """`work(session, user, screened)` for a signed-in user, committed, in one hop; errors roll back.

    With `idempotent`, an `Idempotency-Key` header is claimed in the same unit of work, as the
    `IDEMPOTENT` dependency does (core/idempotency.py).

    With `screen`, `screen(session, user)` runs first, outside any transaction: on PostgreSQL each
    of its reads commits on its own, so the common refusal of a rush (a taken slot) costs one
    statement and no BEGIN or ROLLBACK round trip. `work` is told whether it ran (`screened`), so
    it need not ask again, and a unit of work that fails on a constraint or a lost race (it met
    a rival between the screen and the commit) is screened again, which refuses it the usual way.
    The screen is skipped for a keyed request, whose retry must meet its stored
    answer rather than the slot its first try took, and on SQLite, where BEGIN costs nothing."""
    key = request.headers.get(HEADER) if idempotent else None
    digest = await request_digest(request) if key is not None else None
    return await run_in_threadpool(_run, request, work, key, digest, screen)


def _run(
    request: Request,
    work: Callable[[Session, User, bool], T],
    key: str | None,
    digest: str | None,
    screen: Callable[[Session, User], None] | None,
) -> T:
    engine = request.app.state.engine
    if key is not None or engine.dialect.name == "sqlite":
        screen = None
    if screen is not None:
        _screen(request, screen)
    try:
        with session_scope(engine) as session:
            user = ensure_role(resolve_user(request, session))
            if key is not None and digest is not None:
                check_key(key)
                claim(request, session, user.id, key, digest)  # type: ignore[arg-type]
            return work(session, user, screen is not None)
    except (IntegrityError, OperationalError) as error:
        if screen is None or (isinstance(error, OperationalError) and not lost_race(error)):
            raise
        # Lost a race between the screen and the commit: screened again, the request meets what
        # won and is refused as any other (a 409 naming it); if the winner has gone again, the
        # database's own refusal stands.
        _screen(request, screen)
        raise


def _screen(request: Request, screen: Callable[[Session, User], None]) -> None:
    """Run the screen on memos at the newest version this process has seen (core/memo.py
    `presume_version`): a refusal stands only if the version read beside it, by the clash query or
    a read of its own, is that one; otherwise the screen runs again at the version it reads. A
    request the screen lets through is checked again by its unit of work, which reads the version."""
    engine = request.app.state.engine
    with autocommit_scope(engine) as session:
        memo.presume_version(session)
        try:
            screen(session, ensure_role(resolve_user(request, session)))
            return
        except Exception:
            if memo.presumption_held(session):
                raise
    with autocommit_scope(engine) as session:
        screen(session, ensure_role(resolve_user(request, session)))
