"""Per-process memos of tables that change a few times a year (the room tree, opening hours,
closures): read once and kept, not read again by every booking request.

Why: a booking request checks opening hours, holidays and the room tree, and a refused one
suggests alternatives from them; read from the database each time, they were about half of the
statements a request ran at rush hour, for data a manager edits a few times a year.

When a memo is stale:
- A write made by this process is seen at once. A listener on every engine notes each INSERT,
  UPDATE and DELETE by its table (and any TRUNCATE, ALTER, CREATE or DROP as a write to every
  table), once when the statement runs and again when its transaction commits or rolls back, and
  a memo read from a table written since is read again. A memo is not kept while the reading
  connection has uncommitted writes to its tables: no other request sees what may roll back.
- A write made by another process (another web worker, the CLI, an import) is seen after at most
  `TTL_S` seconds (or the memo's own, shorter, time to live).
A memo holds plain values (dicts, tuples, dataclasses), never ORM objects, and callers treat it as
read-only.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, SQLModel

T = TypeVar("T")
M = TypeVar("M", bound=SQLModel)
# How long another process's edit of a memoised table may go unseen here: a manager who changes
# opening hours on one web worker sees them on the others within this many seconds.
TTL_S = 5.0
# Statements that write a table, or (DDL, TRUNCATE) possibly every table.
_WRITE = re.compile(r'\s*(?:(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)|(TRUNCATE|ALTER|CREATE|DROP)\b)', re.I)
_EVERY_TABLE = "*"
_TOUCHED = "facility_memo_touched"
# A process-wide clock: the moment each table was last written, and when each memo was read.
_clock = itertools.count()
_written_at: dict[str, int] = {}


@dataclass(frozen=True)
class _Entry:
    value: Any
    read_at: int
    expires: float


_entries: dict[tuple[Engine, str], _Entry] = {}
# Memos keyed by a request's values (a slot's alternatives) come and go; past this many entries
# the expired ones are dropped, and if that is not enough, all of them.
MAX_ENTRIES = 20_000


def _stamp(tables: set[str]) -> None:
    for table in tables:
        _written_at[table] = next(_clock)


@event.listens_for(Engine, "before_cursor_execute")
def _note_write(connection: Connection, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool) -> None:
    match = _WRITE.match(statement)
    if match is None:
        return
    table = match.group(1).lower() if match.group(1) else _EVERY_TABLE
    connection.info.setdefault(_TOUCHED, set()).add(table)
    _stamp({table})


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _transaction_ended(connection: Connection) -> None:
    touched = connection.info.pop(_TOUCHED, None)
    if touched:
        _stamp(touched)


@event.listens_for(Engine, "rollback_savepoint")
def _savepoint_undone(connection: Connection, _name: str, _context: Any) -> None:
    _stamp(connection.info.get(_TOUCHED, set()))


def _fresh(entry: _Entry, tables: tuple[str, ...]) -> bool:
    if entry.expires < time.monotonic():
        return False
    return all(_written_at.get(t, -1) < entry.read_at for t in (*tables, _EVERY_TABLE))


def _make_room() -> None:
    now = time.monotonic()
    for key in [k for k, e in _entries.items() if e.expires < now]:
        _entries.pop(key, None)
    if len(_entries) >= MAX_ENTRIES:
        _entries.clear()


def copy_of(row: M) -> M:
    """A copy of a table row in no session, fit to keep in a memo (which outlives the session that
    read it) and to hand to any request: read-only to callers."""
    return type(row)(**row.model_dump())


def remembered(
    session: Session, name: str, tables: tuple[str, ...], read: Callable[[Session], T], *, ttl_s: float = TTL_S
) -> T:
    """`read(session)`, or what it returned a moment ago if none of `tables` was written since."""
    engine = cast(Engine, session.get_bind())
    key = (engine, name)
    entry = _entries.get(key)
    if entry is not None and _fresh(entry, tables):
        return cast(T, entry.value)
    read_at = next(_clock)
    value = read(session)
    pending = session.connection().info.get(_TOUCHED, set())
    if not pending & {*tables, _EVERY_TABLE}:
        if len(_entries) >= MAX_ENTRIES:
            _make_room()
        _entries[key] = _Entry(value, read_at, time.monotonic() + ttl_s)
    return value
