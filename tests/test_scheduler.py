"""The scheduler across restarts and with two processes racing (SQLite and PostgreSQL)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, func, select

from facility.booking import service as booking_service
from facility.booking.models import Booking
from facility.core import outbox
from facility.core.channels import EmailChannel
from facility.core.config import Settings
from facility.core.jobs import Job
from facility.core.outbox import OutboxMessage
from facility.maintenance.alerts import JOBS as ALERT_JOBS
from facility.maintenance.kinds import PlanKind
from facility.maintenance.models import Inspection, WorkOrder
from facility.maintenance.tasks import JOBS
from facility.scheduler import SchedulerRunner, run_tick
from tests.booking.helpers import next_weekday, seoul
from tests.core.smtp import StallingHandler, smtp_server
from tests.factories import make_room, make_user
from tests.maintenance.factories import make_plan
from tests.sensors.factories import make_alert

DAY = timedelta(days=1)
T0 = datetime(2026, 3, 1, 3, tzinfo=UTC)  # 12:00 in Seoul


def _dues(session: Session, plan_id: int) -> list[datetime]:
    session.rollback()  # end the read transaction, so the schedulers' commits are visible
    rows = session.exec(select(Inspection.due_at).where(Inspection.plan_id == plan_id)).all()
    return sorted(rows)


def test_restart_across_due_times_skips_nothing_and_doubles_nothing(
    session: Session, engine: Engine, settings: Settings
) -> None:
    plan = make_plan(session, rrule="FREQ=DAILY;BYHOUR=9", starts_at=T0 - DAY)
    assert run_tick(engine, settings, T0, holder="a", jobs=JOBS) == [j.name for j in JOBS]
    # The plan starts 28 Feb at noon in Seoul, so the first 09:00 is 1 March (00:00 UTC).
    assert [d.day for d in _dues(session, plan.id)] == [1]
    # The first scheduler stops; another starts four days later and catches up every missed day.
    assert run_tick(engine, settings, T0 + 4 * DAY, holder="b", jobs=JOBS)
    dues = _dues(session, plan.id)
    assert [d.day for d in dues] == [1, 2, 3, 4, 5]
    assert len(set(dues)) == len(dues)
    # The missed days are overdue, not skipped; ticking again at the same moment adds nothing.
    run_tick(engine, settings, T0 + 4 * DAY + timedelta(minutes=5), holder="c", jobs=JOBS)
    assert len(_dues(session, plan.id)) == 5
    session.rollback()
    open_count = session.exec(select(func.count()).select_from(Inspection).where(Inspection.status == "open")).one()
    assert open_count == 5


def test_jobs_run_on_their_own_interval_kept_in_the_database(engine: Engine, settings: Settings) -> None:
    calls: list[datetime] = []
    job = Job("test.every_hour", every_seconds=3600, run=lambda _e, _s, now: calls.append(now))
    assert run_tick(engine, settings, T0, holder="a", jobs=[job]) == ["test.every_hour"]
    assert run_tick(engine, settings, T0 + timedelta(minutes=30), holder="b", jobs=[job]) == []
    assert run_tick(engine, settings, T0 + timedelta(minutes=61), holder="b", jobs=[job]) == ["test.every_hour"]
    assert calls == [T0, T0 + timedelta(minutes=61)]


def test_a_failing_job_does_not_stop_the_others(engine: Engine, settings: Settings) -> None:
    def broken(*_args: object) -> None:
        raise RuntimeError("boom")

    ran = run_tick(engine, settings, T0, jobs=[Job("t.broken", 60, broken), Job("t.ok", 60, lambda *_: None)])
    assert ran == ["t.ok"]
    # The failed job is retried on the next tick rather than waiting out its interval.
    again = run_tick(engine, settings, T0 + timedelta(seconds=1), jobs=[Job("t.broken", 60, broken)])
    assert again == []


def test_two_schedulers_at_once_never_both_act(engine: Engine, settings: Settings) -> None:
    entered: list[str] = []
    inside = threading.Event()
    release = threading.Event()

    def slow(_e: Engine, _s: Settings, _now: datetime) -> None:
        entered.append(threading.current_thread().name)
        inside.set()
        release.wait(5)

    job = Job("test.slow", every_seconds=60, run=slow)
    results: dict[str, object] = {}

    def tick(name: str) -> None:
        results[name] = run_tick(engine, settings, T0, holder=name, jobs=[job])

    first = threading.Thread(target=tick, args=("first",), name="first")
    first.start()
    assert inside.wait(5)
    # While the first holds the lock, a second scheduler (another holder) stands aside.
    tick("second")
    release.set()
    first.join(5)
    assert results == {"first": ["test.slow"], "second": None}
    assert entered == ["first"]
    # Once released, the second may act, but the job is not due again yet: nothing doubled.
    assert run_tick(engine, settings, T0 + timedelta(seconds=5), holder="second", jobs=[job]) == []


def test_floating_plan_waits_for_completion(session: Session, engine: Engine, settings: Settings) -> None:
    plan = make_plan(session, kind=PlanKind.floating, rrule="FREQ=WEEKLY;BYHOUR=9", starts_at=T0 - 8 * DAY)
    run_tick(engine, settings, T0, jobs=JOBS)
    run_tick(engine, settings, T0 + 30 * DAY, jobs=JOBS)
    dues = _dues(session, plan.id)
    assert len(dues) == 1  # one overdue occurrence, not one per missed week
    occurrence = session.exec(select(Inspection).where(Inspection.plan_id == plan.id)).one()
    occurrence.status, occurrence.completed_at = "done", T0 + 30 * DAY
    session.add(occurrence)
    session.commit()
    run_tick(engine, settings, T0 + 38 * DAY, jobs=JOBS)
    dues = _dues(session, plan.id)
    assert len(dues) == 2 and dues[1] - (T0 + 30 * DAY) < timedelta(days=8)


def test_real_apscheduler_runner_ticks_and_a_second_runner_stands_aside(engine: Engine, settings: Settings) -> None:
    counted: list[str] = []
    job = Job("test.count", every_seconds=3600, run=lambda *_: counted.append("x"))
    runners = [SchedulerRunner(settings, [job], tick_seconds=0.2) for _ in range(2)]
    for runner in runners:
        runner.start()
    deadline = time.monotonic() + 5
    while sum(r.ticks for r in runners) < 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    for runner in runners:
        runner.stop()
    assert sum(r.ticks for r in runners) >= 6
    assert counted == ["x"]
    with engine.connect() as connection:
        row = connection.execute(text("SELECT last_run_at FROM scheduler_state WHERE name = 'test.count'")).one()
    assert row[0] is not None


# Booking's jobs need only core and the scheduler: a campus without maintenance (or sensors)
# still expires holds and sends its e-mail (core's outbox job).
BOOKING_ALONE = """
import sys
from datetime import datetime

sys.modules["facility.maintenance"] = None  # type: ignore[assignment]  # as if not installed
sys.modules["facility.sensors"] = None  # type: ignore[assignment]
from facility.booking import tasks as booking_tasks
from facility.core import tasks as core_tasks
from facility.core.config import Settings
from facility.core.db import get_engine
from facility.scheduler import run_tick

settings = Settings(database_url=sys.argv[1], data_dir=sys.argv[2])
jobs = [*core_tasks.JOBS, *booking_tasks.JOBS]
ran = run_tick(get_engine(settings.sqlalchemy_url), settings, datetime.fromisoformat(sys.argv[3]), jobs=jobs)
print(",".join(ran or []))
"""


def test_booking_jobs_run_without_maintenance_installed(
    session: Session, db_url: str, settings: Settings, tmp_path: Path
) -> None:
    room, renter = make_room(session), make_user(session)
    day = next_weekday()
    slot = {"room_id": room.id, "start": seoul(day, 10), "end": seoul(day, 12), "title": "행사", "attendees": 5}
    held = booking_service.request_booking(session, renter, {**slot, "hold": True})
    session.commit()
    assert held.hold_expires_at is not None
    after_expiry = (held.hold_expires_at + timedelta(seconds=1)).isoformat()
    result = subprocess.run(
        [sys.executable, "-c", BOOKING_ALONE, db_url, str(tmp_path), after_expiry],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert {"booking.expire_holds", "outbox.send"} <= set(result.stdout.strip().split(","))
    session.rollback()
    session.expire_all()
    assert session.get(Booking, held.id).status == "expired"  # type: ignore[union-attr]


def test_a_stalled_mail_server_does_not_hold_up_the_alert_job(session: Session, settings: Settings) -> None:
    """The outbox waits on an SMTP server that does not answer; alerts still become work meanwhile."""
    handler = StallingHandler(stall=600)
    outbox.enqueue_email(session, to="crew@campus.example", subject="s", body="b")
    make_alert(session, room=make_room(session))
    runner: SchedulerRunner | None = None
    try:
        with smtp_server(handler) as mail:
            patient = EmailChannel(mail.model_copy(update={"timeout_s": 600}))
            stuck = Job("outbox.send", 30, lambda e, _s, now: outbox.send_pending(e, now, [patient]))
            runner = SchedulerRunner(settings, [stuck, *ALERT_JOBS], tick_seconds=0.2)
            runner.start()
            deadline = time.monotonic() + 60  # the alert job takes well under a second
            while not (_rows(session, WorkOrder) and handler.received) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert len(_rows(session, WorkOrder)) == 1
            # ...while the one message is still mid-delivery: handed over, not answered.
            assert [m.status for m in _rows(session, OutboxMessage)] == ["sending"]
            assert len(handler.received) == 1
    finally:
        if runner is not None:
            runner.stop()  # after the server closed, so the stalled send has failed and its thread ends


def _rows(session: Session, table: type[SQLModel]) -> list[Any]:
    session.rollback()  # end the read, so the scheduler's commits show
    return list(session.exec(select(table)).all())
