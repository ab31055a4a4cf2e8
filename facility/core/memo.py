"""A per-process read model of committed data in tables read far more often than written (the
room tree and opening hours, closures, fee schedules, users, organisations and their quotas):
read once and kept, not read again by every booking request. (Open lotteries too, since 0036: every
renter's request asks whether its slot is drawn by lot.)

Committed only: a memo is loaded on a connection of its own (a small pool beside the requests'),
never through the request's session, so neither an uncommitted write nor a dirty object in the
request's identity map can reach another request. A transaction that wrote one of a memo's tables
through the ORM reads that memo through its own session instead and keeps nothing.

One version: a counter row, `read_model_version` (migration 0019), is bumped by a trigger on each
of `VERSIONED_TABLES` inside the writing transaction (PostgreSQL: once per statement, before it
runs; SQLite: once per row), so a new value becomes visible exactly when the write commits, to
every process alike. A transaction reads the counter once, at the first memo it asks for, and any
memo loaded at that version or later serves it. A write made by any process (another web worker,
the CLI, an import, psql) is therefore seen by the next transaction that starts after its commit.

A rush-hour screen (core/one_hop.py) reads no counter at all: it presumes the newest version this
process has seen, and its refusal stands only if the clash query (which returns the counter beside
its answer) or one read of its own finds that same version; otherwise it screens again at the
version it reads. A load is tagged with the version its asker holds, which was committed before the
load began, so the data is at least that new. At 200 clients this took a refused booking request
from three statements to one (docs/benchmarks.md).

Thread-safe: one lock per memo (striped) around load and swap; a kept value is replaced, never
changed, and callers keep values immutable (tuples, frozen dataclasses, read-only mappings,
`copy_of` rows they do not change).

A memo with no tables (a slot's suggestions) is kept `ttl_s` seconds instead.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import column, event, select, table, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Mapper
from sqlmodel import Session, SQLModel

from facility.core.db import sibling_engine

T = TypeVar("T")
M = TypeVar("M", bound=SQLModel)
# Tables whose every write bumps `read_model_version` (migration 0019 holds its own copy;
# tests/core/test_memo.py holds the database to this list).
VERSIONED_TABLES = frozenset(
    {
        "user_account",
        "organization",
        "organization_quota",
        "room",
        "opening_hours",
        "institute_closure",
        "fee_schedule",
        "lottery",
    }
)
# How long a memo of no table (a slot's suggestions) is kept.
TTL_S = 5.0
# Loads run beside the request pool: a request holding its own connection must never wait for
# another from the pool it holds one of. Loads are rare (once per version), so a couple suffice.
LOADER_POOL_SIZE, LOADER_POOL_TIMEOUT_S = 2, 10.0
# Memos keyed by a request's values (a slot's alternatives) come and go; past this many entries
# the expired ones are dropped, then those of no table, and if that is not enough, all of them.
MAX_ENTRIES = 20_000
_UNVERSIONED = -1
_VERSION = "facility_read_model_version"
_PRESUMED = "facility_read_model_presumed"
_CONFIRMED = "facility_read_model_confirmed"
_WRITTEN = "facility_read_model_written"
_VERSION_QUERY = text("SELECT version FROM read_model_version WHERE id = 1")


@dataclass(frozen=True)
class _Entry:
    value: Any
    version: int
    expires: float


_entries: dict[tuple[Engine, str], _Entry] = {}
_entries_lock = threading.Lock()
# Striped, not one per key: keys come and go with requests' values.
_load_locks = tuple(threading.RLock() for _ in range(64))


def _note_write(_mapper: Mapper[Any], connection: Connection, target: Any) -> None:
    """An ORM write to a versioned table in this connection's transaction: its memos are read
    through the writer's own session until the transaction ends."""
    note_written(connection, getattr(type(target), "__tablename__", ""))


def note_written(connection: Connection, table: str) -> None:
    """A write to `table` in this connection's transaction (the ORM's, or a bulk insert that
    bypasses it): that table's memos are read through the writer's own session until it ends."""
    if table in VERSIONED_TABLES:
        connection.info.setdefault(_WRITTEN, set()).add(table)


for _event in ("after_insert", "after_update", "after_delete"):
    event.listen(Mapper, _event, _note_write)


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _transaction_ended(connection: Connection) -> None:
    connection.info.pop(_WRITTEN, None)


@event.listens_for(Session, "after_transaction_end")
def _version_forgotten(session: Session, transaction: Any) -> None:
    if transaction.parent is not None:
        return  # a savepoint's end: the transaction it is part of still holds its version
    for key in (_VERSION, _PRESUMED, _CONFIRMED):
        session.info.pop(key, None)


# The newest version this process has read of each database (by URL: the request pool and the
# loader pool are two engines of one database): what a screen presumes (`presume_version`).
_latest_seen: dict[str, int] = {}


_names: dict[Engine, str] = {}


def _database(engine: Engine) -> str:
    name = _names.get(engine)
    if name is None:
        name = _names[engine] = engine.url.render_as_string(hide_password=True)
    return name


def _saw(engine: Engine, version: int) -> int:
    database = _database(engine)
    if version > _latest_seen.get(database, 0):
        _latest_seen[database] = version  # a lost race leaves an older value: one more read, nothing wrong
    return version


def read_version(connection: Connection) -> int:
    """The committed read model's version as this connection's transaction sees it."""
    return _saw(connection.engine, int(connection.execute(_VERSION_QUERY).scalar() or 0))


def version_column() -> Any:
    """The version as a column of another statement (`confirm_version`): a screen's one query
    both answers it and checks what it presumed, in one round trip."""
    counter = table("read_model_version", column("id"), column("version"))
    return select(counter.c.version).where(counter.c.id == 1).scalar_subquery()


def presume_version(session: Session) -> None:
    """Serve this session's memos at the newest version this process has seen, without reading
    it: for a screen outside any transaction (core/one_hop.py), whose refusal counts only once
    `presumption_held` says no write committed since. At rush hour that saves the one statement
    a refused request would otherwise add to its one query."""
    latest = _latest_seen.get(_database(cast(Engine, session.get_bind())))
    if latest and _VERSION not in session.info:
        session.info[_VERSION] = session.info[_PRESUMED] = latest


def confirm_version(session: Session, version: int) -> None:
    """The version a statement of this session read beside its answer (`version_column`)."""
    session.info[_CONFIRMED] = _saw(cast(Engine, session.get_bind()), version)


def presumption_held(session: Session) -> bool:
    """Whether what this session read from memos was current: nothing presumed, or the version
    read since (confirmed by a query, or read now) is the one presumed."""
    presumed = session.info.get(_PRESUMED)
    if presumed is None:
        return True
    confirmed = session.info.get(_CONFIRMED)
    if confirmed is None:
        confirmed = read_version(session.connection())
    if confirmed < presumed:
        # The counter went back (a database put back without `advance_past`, or dropped and made
        # again at the same address): what was filed under the newer numbers is forgotten.
        engine = cast(Engine, session.get_bind())
        forget(engine)
        _latest_seen[_database(engine)] = confirmed
    return bool(confirmed == presumed)


def forget(engine: Engine) -> None:
    """Drop every memo of this database."""
    global _entries
    database = _database(engine)
    with _entries_lock:
        _entries = {key: entry for key, entry in _entries.items() if _database(key[0]) != database}


def advance_past(connection: Connection) -> int:
    """Move the version past any a running process may hold (a restore puts back an older counter
    without firing the triggers): past both the counter and the clock in microseconds."""
    version = max(read_version(connection), time.time_ns() // 1000) + 1
    connection.execute(text("UPDATE read_model_version SET version = :v WHERE id = 1"), {"v": version})
    return version


def current_version(session: Session) -> int:
    """The version this transaction asks for: read once, at its first memo."""
    version = session.info.get(_VERSION)
    if version is None:
        version = session.info[_VERSION] = read_version(session.connection())
    return cast(int, version)


def copy_of(row: M) -> M:
    """A copy of a table row in no session, fit to keep in a memo (which outlives the session that
    read it) and to hand to any request: read-only to callers."""
    return type(row)(**row.model_dump())


def _usable(entry: _Entry | None, version: int) -> bool:
    return entry is not None and entry.version >= version and entry.expires >= time.monotonic()


def _load(engine: Engine, read: Callable[[Session], T], versioned: bool, asked_at: int | None) -> tuple[int, T]:
    """`read` on committed data, with a version it is at least as new as: `asked_at`, the version
    the asking session already holds (read or presumed, it was committed before this read
    starts), or else one read first. The memos `read` asks for itself are served at it too."""
    loader = sibling_engine(engine, LOADER_POOL_SIZE, LOADER_POOL_TIMEOUT_S)
    with Session(loader) as session:
        if loader.dialect.name == "postgresql":
            # Each statement on its own, as read committed would see it anyway: no BEGIN and
            # ROLLBACK round trips around a load (the version first still holds the promise).
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        if asked_at is None:
            asked_at = read_version(session.connection())
        # Memos that `read` asks for itself are served at that version, not read again.
        session.info[_VERSION] = asked_at
        return (asked_at if versioned else _UNVERSIONED), read(session)


def _keep(key: tuple[Engine, str], entry: _Entry) -> None:
    global _entries
    with _entries_lock:
        if len(_entries) >= MAX_ENTRIES:
            now = time.monotonic()
            _entries = {k: e for k, e in _entries.items() if e.expires >= now}
            if len(_entries) >= MAX_ENTRIES:
                _entries = {k: e for k, e in _entries.items() if e.version != _UNVERSIONED}
            if len(_entries) >= MAX_ENTRIES:
                _entries = {}
        _entries[key] = entry


def remembered(
    session: Session,
    name: str,
    tables: tuple[str, ...],
    read: Callable[[Session], T],
    *,
    ttl_s: float = TTL_S,
    max_age_s: float | None = None,
) -> T:
    """`read` on committed data, loaded once per read-model version (see the module's docstring).

    `tables`: what `read` reads, all in `VERSIONED_TABLES`; none for a memo kept `ttl_s` seconds.
    `max_age_s`: how long the value may be kept at all, for a memo that also depends on what the
    version does not count (a slot's suggestions, on claims)."""
    engine = cast(Engine, session.get_bind())
    if tables:
        if session.autoflush:
            session.flush()
        if session.connection().info.get(_WRITTEN, set()).intersection(tables):
            return read(session)
        wanted = current_version(session)
    else:
        wanted = _UNVERSIONED
    key = (engine, name)
    entry = _entries.get(key)
    if entry is not None and _usable(entry, wanted):
        return cast(T, entry.value)
    with _load_locks[hash(key) % len(_load_locks)]:
        entry = _entries.get(key)
        if entry is not None and _usable(entry, wanted):
            return cast(T, entry.value)
        version, value = _load(engine, read, bool(tables), session.info.get(_VERSION))
        keep = float("inf") if tables else ttl_s
        if max_age_s is not None:
            keep = min(keep, max_age_s)
        _keep(key, _Entry(value, version, time.monotonic() + keep))
    return value
