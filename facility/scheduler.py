"""The scheduler: one process at a time acts, running the jobs it is given when they fall due.

It knows no domain: `facility scheduler` (cli.py) hands it every domain's jobs, as
`facility/domains.py` lists them. Job schedules live in `scheduler_state` (one row per job with
its last run), so a restart picks up where the last run left off. Exactly one scheduler acts
per tick: on PostgreSQL it holds an advisory lock for the tick; on SQLite it holds a lease row
updated under BEGIN IMMEDIATE.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import select

from facility.core.config import Settings, using
from facility.core.db import engine_for, session_scope, utcnow
from facility.core.jobs import Job, SchedulerState

log = logging.getLogger(__name__)

# An arbitrary constant shared by every scheduler process ("fac" "sch" in ASCII).
ADVISORY_LOCK_KEY = 0x666163736368
LEASE_ROW = "__lease__"
# A lease outlives a crashed holder by this long; a tick is far shorter.
LEASE_SECONDS = 120
# How often a scheduler wakes up; each job still runs only on its own interval.
TICK_SECONDS = 15


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@contextmanager
def scheduler_lock(engine: Engine, holder: str, now: datetime) -> Iterator[bool]:
    """Yield True if this process may act now; nobody else acts until the block ends."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            acquired = bool(
                connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}).scalar()
            )
            connection.commit()
            try:
                yield acquired
            finally:
                if acquired:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
                    connection.commit()
        return
    acquired = _take_lease(engine, holder, now)
    try:
        yield acquired
    finally:
        if acquired:
            with session_scope(engine) as session:
                session.connection().execute(
                    text(
                        "UPDATE scheduler_state SET holder = '', lease_until = NULL "
                        "WHERE name = :name AND holder = :holder"
                    ),
                    {"name": LEASE_ROW, "holder": holder},
                )


def _take_lease(engine: Engine, holder: str, now: datetime) -> bool:
    with session_scope(engine) as session:
        if session.get(SchedulerState, LEASE_ROW) is None:
            session.add(SchedulerState(name=LEASE_ROW))
            session.flush()
        # Wall-clock time, not the tick's: a simulated 'now' must not steal a live lease.
        real_now = utcnow()
        row = session.get(SchedulerState, LEASE_ROW)
        assert row is not None
        if row.holder and row.holder != holder and row.lease_until and row.lease_until > real_now:
            return False
        row.holder = holder
        row.lease_until = real_now + timedelta(seconds=LEASE_SECONDS)
        session.add(row)
    return True


def _due_jobs(engine: Engine, jobs: Sequence[Job], now: datetime) -> list[Job]:
    with session_scope(engine, write=False) as session:
        last = {
            row.name: row.last_run_at
            for row in session.exec(select(SchedulerState).where(SchedulerState.name != LEASE_ROW))
        }
    return [
        job
        for job in jobs
        if last.get(job.name) is None or now - last[job.name] >= timedelta(seconds=job.every_seconds)  # type: ignore[operator]
    ]


def _mark_run(engine: Engine, name: str, now: datetime) -> None:
    with session_scope(engine) as session:
        row = session.get(SchedulerState, name) or SchedulerState(name=name)
        row.last_run_at = now
        session.add(row)


def run_tick(
    engine: Engine,
    settings: Settings,
    now: datetime | None = None,
    *,
    jobs: Sequence[Job],
    holder: str | None = None,
) -> list[str] | None:
    """Run the jobs that are due; returns their names, or None when another scheduler acts."""
    now = now or utcnow()
    holder = holder or default_holder()
    ran: list[str] = []
    with scheduler_lock(engine, holder, now) as acquired:
        if not acquired:
            return None
        for job in _due_jobs(engine, jobs, now):
            try:
                with using(settings):
                    job.run(engine, settings, now)
            except Exception:
                # One failing job must not starve the others; it is retried on the next tick.
                log.exception("scheduled job %s failed", job.name)
                continue
            _mark_run(engine, job.name, now)
            ran.append(job.name)
            log.info("job %s ran (scheduler %s)", job.name, holder)
    return ran


class SchedulerRunner:
    """APScheduler (3.x) wakes this up every TICK_SECONDS; the tick decides what to run."""

    def __init__(self, settings: Settings, jobs: Sequence[Job], *, tick_seconds: float = TICK_SECONDS) -> None:
        self.settings = settings
        self.jobs = list(jobs)
        self.engine = engine_for(settings)
        self.holder = default_holder()
        self.tick_seconds = tick_seconds
        self.ticks = 0
        self._lock = threading.Lock()
        self._scheduler = BackgroundScheduler(timezone="UTC")
        # APScheduler logs every wake-up at INFO; our own line per job run is the useful one.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)

    def tick(self) -> list[str] | None:
        with self._lock:
            self.ticks += 1
            try:
                return run_tick(self.engine, self.settings, jobs=self.jobs, holder=self.holder)
            except Exception:
                log.exception("scheduler tick failed")
                return None

    def start(self) -> None:
        self._scheduler.add_job(
            self.tick,
            "interval",
            seconds=self.tick_seconds,
            next_run_time=datetime.now().astimezone(),
            max_instances=1,
            coalesce=True,
            id="facility-tick",
        )
        self._scheduler.start()
        log.info("scheduler %s started (tick %ss)", self.holder, self.tick_seconds)

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)
        log.info("scheduler %s stopped", self.holder)
