"""Per-process memos of tables that change a few times a year (the room tree, opening hours,
closures, fee schedules) or far less often than they are read (users, organisations): read once
and kept, not read again by every booking request.

Why: a booking request checks opening hours, holidays and the room tree, and a refused one
suggests alternatives from them; read from the database each time, they were about half of the
statements a request ran at rush hour, for data a manager edits a few times a year.

When a memo is stale:
- A write made by this process is seen at once. A listener on every engine notes each INSERT,
  UPDATE and DELETE by its table (and any TRUNCATE, ALTER, CREATE or DROP as a write to every
  table), once when the statement runs and again when its transaction commits or rolls back, and
  a memo read from a table written since is read again. A memo is not kept while the reading
  connection has uncommitted writes to its tables: no other request sees what may roll back.
- A write made by another process (another web worker, the CLI, an import, psql) is seen within
  milliseconds on PostgreSQL: a statement trigger on each of `NOTIFIED_TABLES` (migration 0015)
  sends `NOTIFY facility_memo, '<table>'` when the writing transaction commits, and `listen()`
  keeps a connection per engine that stamps the table here. A memo of notified tables is then
  kept `LISTENED_TTL_S` (or the memo's own `max_age_s`). While that connection is down (and on
  SQLite, where one process has the file to itself in the demo), another process's write is
  seen after at most `TTL_S` seconds (or the memo's own, shorter, `ttl_s`); losing or regaining
  the connection voids every memo, since writes may have gone unheard.
A memo holds plain values (dicts, tuples, dataclasses), never ORM objects, and callers treat it as
read-only.
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, SQLModel

log = logging.getLogger(__name__)
T = TypeVar("T")
M = TypeVar("M", bound=SQLModel)
# How long another process's edit of a memoised table may go unseen here: a manager who changes
# opening hours on one web worker sees them on the others within this many seconds.
TTL_S = 5.0
# Tables whose every write is announced on `CHANNEL` by a trigger (migration 0015 creates them;
# tests/core/test_memo.py holds the database to this list).
NOTIFIED_TABLES = frozenset(
    {"user_account", "organization", "organization_quota", "room", "opening_hours", "institute_closure", "fee_schedule"}
)
CHANNEL = "facility_memo"
# How long a memo of notified tables is kept while its engine's listener is connected: a safety
# net, since every write reaches this process through the listener anyway.
LISTENED_TTL_S = 300.0
# Seconds between attempts to reconnect a listener whose connection failed, at most.
LISTEN_RETRY_MAX_S = 30.0
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
    session: Session,
    name: str,
    tables: tuple[str, ...],
    read: Callable[[Session], T],
    *,
    ttl_s: float = TTL_S,
    max_age_s: float | None = None,
) -> T:
    """`read(session)`, or what it returned a moment ago if none of `tables` was written since.

    `ttl_s`: how long another process's write may go unseen when writes are not announced (see the
    module's docstring). `max_age_s`: how long the value may be kept at all, for a memo that also
    depends on what no table write announces (a slot's suggestions, on claims)."""
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
        notified = bool(tables) and engine in _listening and NOTIFIED_TABLES.issuperset(tables)
        keep = LISTENED_TTL_S if notified else ttl_s
        if max_age_s is not None:
            keep = min(keep, max_age_s)
        _entries[key] = _Entry(value, read_at, time.monotonic() + keep)
    return value


# Engines whose listener is connected and listening now, and the threads that keep them.
_listening: set[Engine] = set()
_listeners: dict[Engine, threading.Thread] = {}
_listeners_lock = threading.Lock()


def listen(engine: Engine) -> None:
    """Hear other processes' writes to `NOTIFIED_TABLES` on this engine's database (PostgreSQL;
    once per engine and process; a daemon thread on a connection of its own, outside the pool)."""
    if engine.dialect.name != "postgresql":
        return
    with _listeners_lock:
        if engine in _listeners:
            return
        thread = threading.Thread(target=_listen_forever, args=(engine,), name="memo-listener", daemon=True)
        _listeners[engine] = thread
    thread.start()


def _listen_forever(engine: Engine) -> None:
    conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    retry_s, warned = 1.0, False
    while True:
        try:
            # Keepalives: a connection that died without a word is noticed within about a minute.
            with psycopg.connect(
                conninfo,
                autocommit=True,
                application_name="facility memo listener",
                keepalives=1,
                keepalives_idle=30,
                keepalives_interval=10,
                keepalives_count=3,
            ) as conn:
                conn.execute(f"LISTEN {CHANNEL}")
                # Writes made while nobody listened were not heard: start afresh.
                _stamp({_EVERY_TABLE})
                _listening.add(engine)
                retry_s, warned = 1.0, False
                for note in conn.notifies():
                    _stamp({note.payload})
        except Exception as error:  # noqa: BLE001 - any failure: fall back to TTLs, retry later
            (log.info if warned else log.warning)("memo listener on %s: %s", engine.url.database, error)
            warned = True
        finally:
            _listening.discard(engine)
            _stamp({_EVERY_TABLE})
        time.sleep(retry_s)
        retry_s = min(retry_s * 2, LISTEN_RETRY_MAX_S)
