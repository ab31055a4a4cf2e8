"""Engines, the per-request unit of work, and the check that the schema is migrated."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import Request
from sqlalchemy import DateTime, FunctionElement, event
from sqlalchemy.engine import Connection, Dialect, Engine, Row
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import Executable
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, Session, SQLModel, create_engine

from facility.core.config import DatabaseLimits, Settings

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

DEFAULT_LIMITS = DatabaseLimits()
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# A little room above the pool for the odd job or probe beside the admitted requests; the
# admission limit (facility/core/admission.py) keeps requests within pool_size itself.
POOL_OVERFLOW = 4

_engines: dict[tuple[str, DatabaseLimits], Engine] = {}
_frozen_now: ContextVar[datetime | None] = ContextVar("frozen_now", default=None)


def utcnow() -> datetime:
    return _frozen_now.get() or datetime.now(UTC)


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """Inside the block every `utcnow()` answers `moment`: the demo's history runs the real
    services (requests, invoices, checklists) as they would have run on that day."""
    token = _frozen_now.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _frozen_now.reset(token)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on every backend (SQLite keeps naive UTC text, PostgreSQL timestamptz)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class rare(FunctionElement[bool]):  # noqa: N801 (an SQL function, named like one)
    """A condition the caller knows is rarely true. SQLite keeps no value histograms, so without
    the hint it may prefer another index for a term that selects almost nothing (`unlikely()`);
    PostgreSQL has the statistics and gets the bare condition. (Untyped: a Boolean type would make
    SQLite render `unlikely(...) = 1`, which no index matches.)"""

    inherit_cache = True


@compiles(rare)
def _rare_default(element: rare, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)  # type: ignore[no-any-return]


@compiles(rare, "sqlite")
def _rare_sqlite(element: rare, compiler: Any, **kw: Any) -> str:
    return f"unlikely({compiler.process(element.clauses, **kw)})"


def utc_field(**kwargs: Any) -> Any:
    """A SQLModel field stored as UTCDateTime."""
    return Field(sa_type=UTCDateTime, **kwargs)  # type: ignore[call-overload]


def _prepare_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We emit BEGIN ourselves so writers can ask for BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # A writer waits this long for SQLite's single write lock (another process's writer, the
        # gateway's say) before "database is locked", which is answered 503 (core/handlers.py).
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def read_planned_for_values(connection: Connection, query: Executable) -> list[Row[Any]]:
    """The rows of a read whose best plan depends on its values (a time window), planned for them
    on every run.

    psycopg prepares a statement after five runs, and PostgreSQL may then settle on a generic plan
    blind to the values. That is right for the point reads of a request (the booking screen's clash
    query plans in 0.1 ms and runs in 0.03; planning it each time tripled the database's CPU per
    refused request), wrong for a window read: a week's claim read went from 8 to 18 ms on its
    generic plan. If the read fails inside a transaction, its rollback undoes the setting; in an
    autocommit scope the connection keeps planning for values until the next such read resets it
    (slower, never wrong)."""
    if connection.dialect.name != "postgresql":
        return list(connection.execute(query).all())
    connection.exec_driver_sql("SET plan_cache_mode = force_custom_plan")
    rows = list(connection.execute(query).all())
    connection.exec_driver_sql("RESET plan_cache_mode")
    return rows


def _ensure_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def postgresql_options(limits: DatabaseLimits) -> str:
    """Session settings sent with each new PostgreSQL connection (libpq `options`)."""
    return (
        f"-c lock_timeout={limits.lock_timeout_ms} -c statement_timeout={limits.statement_timeout_ms} "
        f"-c idle_in_transaction_session_timeout={limits.idle_in_transaction_timeout_ms}"
    )


def get_engine(url: str, limits: DatabaseLimits = DEFAULT_LIMITS) -> Engine:
    """One engine per URL and limits for the life of the process."""
    engine = _engines.get((url, limits))
    if engine is None:
        pool = {"pool_size": limits.pool_size, "max_overflow": POOL_OVERFLOW, "pool_timeout": limits.pool_timeout_s}
        if url.startswith("sqlite"):
            _ensure_sqlite_dir(url)
            # SQLite's busy timeout is the lock timeout PostgreSQL gets: one wait for a lock.
            wait_s = limits.lock_timeout_ms / 1000
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": wait_s}, **pool)
            _prepare_sqlite(engine, limits.lock_timeout_ms)
        else:
            # No ping before each checkout (a round trip per request): a connection PostgreSQL
            # dropped fails its request with 503 (core/handlers.py) and SQLAlchemy then replaces
            # every pooled connection older than the failure, so the next request finds a live one.
            engine = create_engine(url, connect_args={"options": postgresql_options(limits)}, **pool)
        _engines[(url, limits)] = engine
    return engine


def sibling_engine(engine: Engine, pool_size: int, pool_timeout_s: float) -> Engine:
    """A second, smaller pool to the same database under the same lock and statement limits (the
    read model loads beside the request pool, never waiting on the pool its request holds)."""
    limits = next((lim for (_url, lim), known in _engines.items() if known is engine), DEFAULT_LIMITS)
    url = engine.url.render_as_string(hide_password=False)
    return get_engine(url, replace(limits, pool_size=pool_size, pool_timeout_s=pool_timeout_s))


def engine_for(settings: Settings) -> Engine:
    """The engine of the configured database with the configured limits (FACILITY_DB_*): how every
    process opens it, the web app, the scheduler, the gateway and the CLI alike, so a job waits
    for a lock no longer than a request does."""
    return get_engine(settings.sqlalchemy_url, settings.database_limits)


class SQLiteWriteGate:
    """ASGI middleware: on SQLite, one state-changing request at a time per process.

    SQLite has a single writer anyway. Without this gate a burst of writes fills the thread pool
    with threads blocked in `BEGIN IMMEDIATE`, while the request holding the lock waits for a free
    thread to run its endpoint: a deadlock until the busy timeout. Waiting here costs no thread.
    Several processes still coordinate through SQLite's lock and busy timeout.
    """

    def __init__(self, app: Any) -> None:
        import weakref

        self.app = app
        # One lock per event loop: an asyncio lock may not be shared between loops (test clients).
        self.locks: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        import asyncio

        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        lock = self.locks.get(loop)
        if lock is None:
            lock = self.locks[loop] = asyncio.Lock()
        async with lock:
            await self.app(scope, receive, send)


# PostgreSQL's deadlock and serialisation failures: two requests raced for the same rows and the
# database chose this one to lose, which is a conflict for the caller, not a fault.
LOST_RACE_SQLSTATES = frozenset({"40P01", "40001"})


def lost_race(error: DBAPIError) -> bool:
    return getattr(error.orig, "sqlstate", None) in LOST_RACE_SQLSTATES


# SQLite's "database is locked" (another connection kept the write lock past the busy timeout) and
# "database table is locked": nothing was decided, the same request may succeed in a moment.
SQLITE_BUSY_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


def sqlite_busy(error: DBAPIError) -> bool:
    code = getattr(error.orig, "sqlite_errorcode", None)
    return isinstance(error.orig, sqlite3.OperationalError) and code is not None and code & 0xFF in SQLITE_BUSY_CODES


def claim_write_lock(session: Session) -> None:
    """On SQLite, start the transaction as a writer so check-then-insert cannot interleave."""
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


@contextmanager
def session_scope(engine: Engine, *, write: bool = True) -> Iterator[Session]:
    """A unit of work for jobs and the gateway: commit on success, roll back on error."""
    with Session(engine, expire_on_commit=False) as session:
        if write:
            claim_write_lock(session)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def autocommit_scope(engine: Engine) -> Iterator[Session]:
    """Reads outside any transaction, each statement committing on its own: for a screen that
    refuses most requests before their unit of work begins (core/one_hop.py). On PostgreSQL it
    saves the BEGIN and ROLLBACK round trips; the driver's autocommit switch is client-side, and
    the pool puts it back when the connection returns."""
    with Session(engine, expire_on_commit=False) as session:
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        yield session


def get_session(request: Request) -> Iterator[Session]:
    """The request's unit of work; state-changing requests take the write lock up front."""
    with session_scope(request.app.state.engine, write=request.method not in SAFE_METHODS) as session:
        yield session


def alembic_config(url: str) -> Config:
    _ensure_sqlite_dir(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def pending_migrations(engine: Engine) -> bool:
    """True when the database is not at the newest migration."""
    script = ScriptDirectory.from_config(alembic_config(str(engine.url)))
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current != set(script.get_heads())


def upgrade_database(url: str) -> None:
    from alembic import command

    command.upgrade(alembic_config(url), "heads")
