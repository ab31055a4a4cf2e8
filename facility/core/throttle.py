"""Throttling sign-ins, sign-ups and public reports: a free budget of attempts per key, then a
delay that doubles per attempt.

Each attempt takes a ticket before the password is checked: the key's row is created if missing,
locked (`FOR UPDATE` on PostgreSQL; SQLite's write lock does the same), read and updated in the
same transaction, which the caller commits at once. Concurrent attempts therefore queue on the row
for milliseconds and each sees the count the previous one left: forty parallel guesses cannot all
pass a count taken before any of them was recorded.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from facility.core.models import SignInThrottle


@dataclass(frozen=True)
class Budget:
    free_attempts: int
    # The wait after the last free attempt; each attempt made after waiting doubles it, up to the cap.
    first_delay_s: float = 1.0
    max_delay_s: float = 300.0
    # This long without an attempt and the key starts again from zero.
    quiet_reset_s: float = 15 * 60


def hold(session: Session, key: str) -> SignInThrottle:
    """The key's row, created if missing and locked until the transaction ends: whoever counts
    something for this key next waits here and then sees what this transaction left."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(SignInThrottle).values(key=key).on_conflict_do_nothing(index_elements=["key"]))
    query = select(SignInThrottle).where(SignInThrottle.key == key).with_for_update()
    return session.exec(query.execution_options(populate_existing=True)).one()


def take_attempt(session: Session, key: str, budget: Budget, now: float | None = None) -> float:
    """Count one attempt for the key; the seconds it must still wait (0: go ahead).

    A refused attempt neither counts nor lengthens the delay, so the owner of an account is kept
    out no longer than the delay the last counted attempt set.
    """
    now = time.time() if now is None else now
    row = hold(session, key)
    if row.blocked_until_s > now:
        return row.blocked_until_s - now
    if now - row.last_attempt_s > budget.quiet_reset_s:
        row.attempts, row.delay_s = 0, 0.0
    row.attempts += 1
    row.last_attempt_s = now
    if row.attempts >= budget.free_attempts:
        row.delay_s = min(budget.max_delay_s, row.delay_s * 2 or budget.first_delay_s)
        row.blocked_until_s = now + row.delay_s
    session.add(row)
    session.flush()
    return 0.0


def refund_attempt(session: Session, key: str) -> None:
    """Take back one counted attempt (a sign-in from this address succeeded)."""
    row = session.get(SignInThrottle, key, with_for_update=True)
    if row is not None and row.attempts > 0:
        row.attempts -= 1
        session.add(row)
        session.flush()


def forget(session: Session, key: str) -> None:
    """Clear the key (a sign-in to this account succeeded)."""
    row = session.get(SignInThrottle, key)
    if row is not None:
        session.delete(row)
        session.flush()


def retry_after(wait_s: float) -> int:
    """Whole seconds for a `Retry-After` header."""
    return max(1, math.ceil(wait_s))
