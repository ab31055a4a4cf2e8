"""The scheduler: each job runs on its own interval, by one scheduler process at a time.

It knows no domain: `facility scheduler` (cli.py) hands it every domain's jobs, as
`facility/domains.py` lists them. Job schedules live in `scheduler_state` (one row per job with
its last run), so a restart picks up where the last run left off. Exactly one scheduler runs a
given job at a time: on PostgreSQL it holds an advisory lock for that job; on SQLite a lease on
the job's row, taken under BEGIN IMMEDIATE. Jobs run side by side on a few threads, so one slow
job (the outbox waiting on a mail server) delays no other.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from facility.core.config import Settings, using
from facility.core.db import engine_for, session_scope, utcnow
from facility.core.jobs import Job, SchedulerState

log = logging.getLogger(__name__)

# The first half of each job's advisory lock key, shared by every scheduler process ("facs").
ADVISORY_LOCK_CLASS = 0x66616373
# The single lease row of earlier versions (one lock for all jobs); `doctor` still skips it.
LEASE_ROW = "__lease__"
# A lease outlives a crashed holder by this long; most jobs take well under a second.
LEASE_SECONDS = 120
# How often a scheduler wakes each job; each still runs only on its own interval.
TICK_SECONDS = 15
# Enough that one slow job leaves the others running; few enough that each thread's lock
# connection and job connection fit the pool beside the odd probe.
JOB_THREADS = 4


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def _lock_key(name: str) -> int:
    """A job's name as the second (signed 32-bit) half of its advisory lock key."""
    return int.from_bytes(zlib.crc32(name.encode()).to_bytes(4, "big"), "big", signed=True)


@contextmanager
def job_lock(engine: Engine, holder: str, name: str) -> Iterator[bool]:
    """Yield True if this process may run job `name` now; nobody else runs it until the block ends."""
    if engine.dialect.name == "postgresql":
        key = {"cls": ADVISORY_LOCK_CLASS, "key": _lock_key(name)}
        with engine.connect() as connection:
            acquired = bool(connection.execute(text("SELECT pg_try_advisory_lock(:cls, :key)"), key).scalar())
            connection.commit()
            try:
                yield acquired
            finally:
                if acquired:
                    connection.execute(text("SELECT pg_advisory_unlock(:cls, :key)"), key)
                    connection.commit()
        return
    acquired = _take_lease(engine, holder, name)
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
                    {"name": name, "holder": holder},
                )


def _take_lease(engine: Engine, holder: str, name: str) -> bool:
    with session_scope(engine) as session:
        if session.get(SchedulerState, name) is None:
            session.add(SchedulerState(name=name))
            session.flush()
        # Wall-clock time, not the tick's: a simulated 'now' must not steal a live lease.
        real_now = utcnow()
        row = session.get(SchedulerState, name)
        assert row is not None
        if row.holder and row.holder != holder and row.lease_until and row.lease_until > real_now:
            return False
        row.holder = holder
        row.lease_until = real_now + timedelta(seconds=LEASE_SECONDS)
        session.add(row)
    return True


def _due_jobs(engine: Engine, jobs: Sequence[Job], now: datetime) -> list[Job]:
    names = [job.name for job in jobs]
    with session_scope(engine, write=False) as session:
        last = {
            row.name: row.last_run_at
            for row in session.exec(select(SchedulerState).where(col(SchedulerState.name).in_(names)))
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
    """Run the jobs that are due; returns their names, or None when every due job was another
    scheduler's to run."""
    now = now or utcnow()
    holder = holder or default_holder()
    ran: list[str] = []
    due = _due_jobs(engine, jobs, now)
    held_elsewhere = 0
    for job in due:
        with job_lock(engine, holder, job.name) as acquired:
            if not acquired:
                held_elsewhere += 1
                continue
            # Read again under the lock: another scheduler may have run it since the read above.
            if not _due_jobs(engine, [job], now):
                continue
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
    return None if due and held_elsewhere == len(due) else ran


class SchedulerRunner:
    """APScheduler (3.x) wakes each job every TICK_SECONDS on a pool of JOB_THREADS threads, never
    two runs of one job at once; the tick decides whether it is due."""

    def __init__(self, settings: Settings, jobs: Sequence[Job], *, tick_seconds: float = TICK_SECONDS) -> None:
        self.settings = settings
        self.jobs = list(jobs)
        self.engine = engine_for(settings)
        self.holder = default_holder()
        self.tick_seconds = tick_seconds
        self.ticks = 0
        self._lock = threading.Lock()
        self._scheduler = BackgroundScheduler(
            timezone="UTC", executors={"default": ThreadPoolExecutor(min(JOB_THREADS, max(1, len(self.jobs))))}
        )
        # APScheduler logs every wake-up at INFO, and each wake-up a slow job is still busy for at
        # WARNING; our own line per job run is the useful one.
        logging.getLogger("apscheduler").setLevel(logging.ERROR)

    def tick(self, job: Job) -> list[str] | None:
        with self._lock:
            self.ticks += 1
        try:
            return run_tick(self.engine, self.settings, jobs=[job], holder=self.holder)
        except Exception:
            log.exception("scheduler tick for %s failed", job.name)
            return None

    def start(self) -> None:
        for job in self.jobs:
            self._scheduler.add_job(
                self.tick,
                "interval",
                args=[job],
                seconds=self.tick_seconds,
                next_run_time=datetime.now().astimezone(),
                max_instances=1,
                coalesce=True,
                # A wake-up delayed by busy threads still runs (once), however late.
                misfire_grace_time=None,
                id=job.name,
            )
        self._scheduler.start()
        log.info("scheduler %s started (tick %ss)", self.holder, self.tick_seconds)

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)
        log.info("scheduler %s stopped", self.holder)
