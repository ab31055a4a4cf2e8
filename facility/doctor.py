"""`facility doctor`: check a deployment and say in plain words what is wrong and how to fix it.

Each check gives OK, WARN (works, but not as production should) or FAIL (something is broken)
with one sentence and a fix. Every network check has a short timeout, so a stopped service is
reported, never waited for. The checks read the same settings the services use: the broker is
tried with the gateway's own account (under another client id, so a running gateway keeps its
session), InfluxDB gets a probe point written and dropped, SMTP is greeted but sent nothing.
The service checks are in facility/doctor_services.py.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from unicodedata import east_asian_width

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool
from sqlmodel import col, select

from facility.core.config import Settings, secret_weakness
from facility.core.db import POOL_OVERFLOW, alembic_config
from facility.core.i18n import gettext as _
from facility.core.jobs import SchedulerState
from facility.scheduler import LEASE_ROW

# Within this, the scheduler is alive: its most frequent job (the outbox) runs every 30 s.
HEARTBEAT_STALE = timedelta(minutes=5)
# Clock skew between this host and the database: booking windows and holds are seconds-exact.
SKEW_WARN_S, SKEW_FAIL_S = 2.0, 30.0
CHECK_COLUMN = 12


class Status(StrEnum):
    ok = "OK"
    warn = "WARN"
    fail = "FAIL"


@dataclass(frozen=True)
class Finding:
    check: str
    status: Status
    message: str
    fix: str = ""


def format_finding(finding: Finding) -> str:
    """`STATUS  check  sentence`, and the fix on the next line when there is one."""
    line = f"{finding.status.value:<5} {_pad(finding.check, CHECK_COLUMN)} {finding.message}"
    return line + ("\n" + " " * (CHECK_COLUMN + 7) + _("fix: {fix}", fix=finding.fix) if finding.fix else "")


def _pad(text: str, width: int) -> str:
    """Pad to a width in terminal columns: Hangul takes two."""
    used = sum(2 if east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(1, width - used)


def doctor_engine(settings: Settings, timeout: float) -> Engine:
    """A one-off engine that gives up connecting after `timeout` (the app's pool would wait)."""
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        return create_engine(url, poolclass=NullPool)
    return create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": max(1, int(timeout))})


def check_database(settings: Settings, engine: Engine) -> Finding:
    """Reachable, and at the newest migration."""
    name = _("database")
    where = engine.url.render_as_string(hide_password=True).split("@")[-1]
    upgrade = _("Run `facility db upgrade`.")
    if engine.dialect.name == "sqlite" and not Path(str(engine.url.database)).exists():
        return Finding(name, Status.fail, _("There is no database file at {path}.", path=engine.url.database), upgrade)
    try:
        with engine.connect() as connection:
            current = sorted(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as error:
        reason = str(error.orig if hasattr(error, "orig") else error).strip().splitlines()[0]
        fix = _("Check FACILITY_DATABASE_URL and that the database server is running.")
        return Finding(
            name, Status.fail, _("Cannot reach the database {where}: {reason}", where=where, reason=reason), fix
        )
    heads = sorted(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())
    if not current:
        return Finding(
            name, Status.fail, _("The database {where} is not migrated: it has no schema.", where=where), upgrade
        )
    if current != heads:
        message = _(
            "The database {where} is at revision {current}; this version needs {head}.",
            where=where,
            current=", ".join(current),
            head=", ".join(heads),
        )
        return Finding(name, Status.fail, message, upgrade)
    return Finding(
        name, Status.ok, _("{where} is reachable and migrated ({head}).", where=where, head=", ".join(heads))
    )


def check_secret_key(settings: Settings) -> Finding:
    name = _("secret key")
    fix = _("Set FACILITY_SECRET_KEY to a long random value, the same for every web worker.")
    for variable, value in (
        ("FACILITY_SECRET_KEY", settings.secret_key),
        ("FACILITY_METRICS_TOKEN", settings.metrics_token),
    ):
        # The settings refuse these at start; a tree built in code (model_copy) skips that check.
        if value and secret_weakness(value):
            message = _("{variable} is a placeholder, short or guessable: anyone can forge it.", variable=variable)
            return Finding(name, Status.fail, message, fix)
    if settings.secret_key:
        return Finding(name, Status.ok, _("FACILITY_SECRET_KEY is set."))
    if settings.sqlalchemy_url.startswith("postgresql"):
        message = _(
            "No FACILITY_SECRET_KEY: each host generates its own, so web workers elsewhere reject the sessions."
        )
        return Finding(name, Status.fail, message, fix)
    return Finding(name, Status.ok, _("A key generated in the data directory (fine for one process on SQLite)."))


def check_cookies(settings: Settings) -> Finding:
    name = _("cookies")
    fix = _("Set FACILITY_COOKIE_SECURE=true, so the session cookie is only sent over HTTPS.")
    if settings.cookie_secure:
        return Finding(name, Status.ok, _("Session cookies are sent over HTTPS only."))
    if settings.proxy_list:
        message = _("Behind a proxy (FACILITY_TRUSTED_PROXIES), but session cookies may travel over plain HTTP.")
        return Finding(name, Status.warn, message, fix)
    if settings.sqlalchemy_url.startswith("postgresql"):
        message = _("No TLS proxy is configured and session cookies may travel over plain HTTP.")
        return Finding(
            name,
            Status.warn,
            message,
            _("Serve behind the TLS proxy (deploy/), with FACILITY_TRUSTED_PROXIES and FACILITY_COOKIE_SECURE=true."),
        )
    return Finding(name, Status.ok, _("Plain HTTP, as for the demo on this machine."))


def check_scheduler(engine: Engine, now: datetime) -> Finding:
    """A job ran recently: some `facility scheduler` is alive and acting."""
    name = _("scheduler")
    fix = _("Start `facility scheduler` (deploy/systemd/facility-scheduler.service) and read its log.")
    with engine.connect() as connection:
        runs = connection.execute(
            select(col(SchedulerState.last_run_at)).where(col(SchedulerState.name) != LEASE_ROW)
        ).scalars()
        newest = max((ts for ts in runs if ts is not None), default=None)
    if newest is None:
        return Finding(name, Status.fail, _("No scheduled job has ever run."), fix)
    age = now - newest
    minutes = max(0, int(age.total_seconds() // 60))
    if age > HEARTBEAT_STALE:
        return Finding(name, Status.fail, _("The last scheduled job ran {minutes} minutes ago.", minutes=minutes), fix)
    return Finding(name, Status.ok, _("A scheduled job ran {seconds} s ago.", seconds=max(0, int(age.total_seconds()))))


def check_clock(engine: Engine) -> Finding:
    """This host's clock against the database server's."""
    name = _("clock")
    if engine.dialect.name != "postgresql":
        return Finding(name, Status.ok, _("The database is a file on this host: one clock."))
    with engine.connect() as connection:
        before = datetime.now(UTC)
        server = connection.execute(text("SELECT clock_timestamp()")).scalar_one()
        after = datetime.now(UTC)
    skew = (server - (before + (after - before) / 2)).total_seconds()
    message = _("This host's clock is {skew:+.1f} s off the database server's.", skew=round(-skew, 1) + 0.0)
    fix = _("Keep both clocks synchronised with NTP (`timedatectl set-ntp true`).")
    if abs(skew) > SKEW_FAIL_S:
        return Finding(name, Status.fail, message, fix)
    if abs(skew) > SKEW_WARN_S:
        return Finding(name, Status.warn, message, fix)
    return Finding(name, Status.ok, message)


def check_connections(settings: Settings, engine: Engine) -> Finding:
    """The connections this host may open, against what PostgreSQL lets ordinary users open."""
    name = _("connections")
    if engine.dialect.name != "postgresql":
        return Finding(name, Status.ok, _("SQLite: a file, with no connection limit."))
    per_process = settings.db_pool_size + POOL_OVERFLOW
    planned = settings.db_max_connections_per_host or per_process
    with engine.connect() as connection:
        allowed = int(connection.execute(text("SHOW max_connections")).scalar_one()) - int(
            connection.execute(text("SHOW superuser_reserved_connections")).scalar_one()
        )
    fix = _(
        "Set FACILITY_DB_MAX_CONNECTIONS_PER_HOST to web workers x {per_process} + 4 (scheduler, gateway), "
        "lower FACILITY_DB_POOL_SIZE or --workers, or raise PostgreSQL's max_connections.",
        per_process=per_process,
    )
    message = _(
        "This host may open {planned} connections; PostgreSQL allows {allowed} to every host together.",
        planned=planned,
        allowed=allowed,
    )
    if planned > allowed:
        return Finding(name, Status.fail, message, fix)
    if planned * 5 > allowed * 4:
        return Finding(name, Status.warn, message, fix)
    return Finding(name, Status.ok, message)


def database_findings(settings: Settings, timeout: float) -> list[Finding]:
    """The database, then what can only be read from it (not checked when it is unusable)."""
    engine = doctor_engine(settings, timeout)
    # Alembic's INFO lines about its context would drown the findings.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        database = check_database(settings, engine)
        if database.status == Status.fail:
            skipped = _("Not checked: the database is not usable.")
            return [database, Finding(_("scheduler"), Status.warn, skipped), Finding(_("clock"), Status.warn, skipped)]
        return [
            database,
            check_connections(settings, engine),
            check_scheduler(engine, datetime.now(UTC)),
            check_clock(engine),
        ]
    finally:
        engine.dispose()
