"""Rush hour on PostgreSQL: a request never waits forever, and the server always recovers.

Every wait is bounded (a place in the app, a pooled connection, a lock, a statement) and a wait
that runs out is 503 with Retry-After, never a hang or a bare 500. The burst and SIGTERM tests
drive a real uvicorn server with several times more clients than it has worker threads."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from facility.app import WARM_UP_PATH, create_app, warm_up
from facility.booking import rules
from facility.booking.models import Booking
from facility.core.admission import Admission
from facility.core.auth import DbSession
from facility.core.config import AdmissionLimits, Settings
from facility.core.db import POOL_OVERFLOW, engine_for
from facility.core.models import Organization, User
from facility.core.security import hash_password, issue_token
from facility.scheduler import SchedulerRunner
from tests.conftest import free_port, serve_app
from tests.factories import make_room
from tests.keys import TEST_SECRET_KEY

SEOUL = ZoneInfo("Asia/Seoul")
SECRET = TEST_SECRET_KEY
ON_POSTGRESQL = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
# Starlette's worker threads in the servers below; the burst fires at least three times as many.
WORKER_THREADS = 40
# Local start hours of the slots raced for: far enough apart that shifted requests for one slot
# never reach the next one, buffers included.
SLOT_HOURS = (9, 13, 17)
# What booking/claims.py lock_organization takes, held here by "another transaction".
LOCK_ORGANIZATION = text("SELECT id FROM organization WHERE id = :org FOR NO KEY UPDATE")


def run_apart(coroutine: Any) -> Any:
    """`asyncio.run` in a thread of its own: the session's browser fixture keeps an event loop
    running in the main thread once a browser test has run, and asyncio.run refuses to nest."""
    result: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            result.append(asyncio.run(coroutine))
        except BaseException as error:  # noqa: BLE001 - re-raised in the caller's thread
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]


def rush_settings(db_url: str, tmp_path: Path, **limits: Any) -> Settings:
    return Settings(database_url=db_url, data_dir=tmp_path, secret_key=SECRET, worker_threads=WORKER_THREADS, **limits)


def renters(session: Session, count: int) -> list[User]:
    """Approved organisations with one renter each (one password hash: Argon2 is slow on purpose)."""
    password = hash_password("rush-hour-password")
    users = []
    for i in range(count):
        org = Organization(name=f"rush org {i}", status="approved")
        session.add(org)
        session.flush()
        users.append(User(email=f"rush{i}@example.kr", password_hash=password, role="renter", organization_id=org.id))
    session.add_all(users)
    session.commit()
    return users


def bookable_days(session: Session, count: int) -> list[date]:
    """Weekdays a month or more ahead that are not public holidays."""
    day, days = datetime.now(SEOUL).date() + timedelta(days=30), []
    while len(days) < count:
        if day.weekday() < 5 and rules.holiday_name(session, day) is None:
            days.append(day)
        day += timedelta(days=1)
    return days


def booking_body(room_id: int, day: date, hour: int, shift_minutes: int = 0) -> dict[str, Any]:
    start = datetime(day.year, day.month, day.day, hour, tzinfo=SEOUL) + timedelta(minutes=shift_minutes)
    return {
        "room_id": room_id,
        "start": start.isoformat(),
        "end": (start + timedelta(hours=2)).isoformat(),
        "title": "rush",
        "attendees": 5,
    }


def bearer(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(SECRET, user.id)}"}  # type: ignore[arg-type]


def assert_busy(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "1"
    assert response.json()["code"] == "busy"


# --- each wait is bounded and answered 503 ---------------------------------------------------


@ON_POSTGRESQL
def test_postgresql_connections_carry_the_timeouts(db_url: str, tmp_path: Path) -> None:
    settings = rush_settings(
        db_url, tmp_path, db_lock_timeout_ms=250, db_statement_timeout_ms=4000, db_idle_in_transaction_timeout_ms=9000
    )
    engine = create_app(settings).state.engine
    with engine.connect() as connection:
        shown = [connection.execute(text(f"SHOW {name}")).scalar() for name in ("lock_timeout", "statement_timeout")]
        idle = connection.execute(text("SHOW idle_in_transaction_session_timeout")).scalar()
    assert (shown, idle) == (["250ms", "4s"], "9s")
    assert engine.pool.timeout() == settings.db_pool_timeout_s


@ON_POSTGRESQL
def test_jobs_the_gateway_and_the_cli_open_the_database_with_the_same_limits(db_url: str, tmp_path: Path) -> None:
    settings = rush_settings(db_url, tmp_path, db_lock_timeout_ms=250)
    engine = create_app(settings).state.engine
    assert SchedulerRunner(settings, []).engine is engine is engine_for(settings)
    with engine_for(settings).connect() as connection:
        assert connection.execute(text("SHOW lock_timeout")).scalar() == "250ms"
    # Every process builds its engine through engine_for: no other engine with default limits.
    package = Path(__file__).resolve().parents[2]
    builders = [
        path.relative_to(package).as_posix()
        for folder in ("facility", "gateway")
        for path in (package / folder).rglob("*.py")
        if "get_engine(" in path.read_text()
    ]
    assert sorted(builders) == ["facility/content.py", "facility/core/db.py"]


@ON_POSTGRESQL
def test_a_lock_wait_that_runs_out_is_503_and_the_next_request_succeeds(
    db_url: str, tmp_path: Path, session: Session, engine: Engine
) -> None:
    (renter,) = renters(session, 1)
    room = make_room(session)
    day = bookable_days(session, 1)[0]
    app = create_app(rush_settings(db_url, tmp_path, db_lock_timeout_ms=300))
    with TestClient(app) as client, engine.connect() as holder:
        # Another transaction holds the organisation's lock (booking/claims.py lock_organization).
        holder.execute(LOCK_ORGANIZATION, {"org": renter.organization_id})
        started = time.monotonic()
        assert_busy(client.post("/api/v1/bookings", json=booking_body(room.id, day, 9), headers=bearer(renter)))  # type: ignore[arg-type]
        assert time.monotonic() - started < 3
        holder.rollback()
        response = client.post("/api/v1/bookings", json=booking_body(room.id, day, 9), headers=bearer(renter))  # type: ignore[arg-type]
        assert response.status_code == 201, response.text


@ON_POSTGRESQL
def test_a_started_server_meets_its_first_rush_warm(db_url: str, tmp_path: Path) -> None:
    """`facility serve` opens one connection before it serves (the rest lazily: a worker's start
    must not take the connections a busy database has left), and its probe through every router
    is answered 404 (FastAPI built each route on the way)."""
    settings = rush_settings(db_url, tmp_path, db_pool_size=16, max_concurrent_requests=9)
    app = create_app(settings)
    engine = app.state.engine
    engine.dispose()  # whatever earlier tests left in this shared pool
    assert engine.pool.checkedin() == 0
    warm_up(app)
    assert engine.pool.checkedin() == 1
    with TestClient(app) as client:
        assert client.get(WARM_UP_PATH).status_code == 404


def with_slow_route(app: FastAPI) -> FastAPI:
    def slow(session: DbSession) -> dict[str, str]:
        session.exec(text("SELECT pg_sleep(10)"))  # type: ignore[call-overload]
        return {"status": "done"}

    app.add_api_route("/api/v1/test-slow", slow)
    return app


@ON_POSTGRESQL
def test_a_statement_that_runs_too_long_is_503(db_url: str, tmp_path: Path) -> None:
    app = with_slow_route(create_app(rush_settings(db_url, tmp_path, db_statement_timeout_ms=200)))
    with TestClient(app) as client:
        started = time.monotonic()
        assert_busy(client.get("/api/v1/test-slow"))
        assert time.monotonic() - started < 5


@ON_POSTGRESQL
def test_no_free_connection_in_time_is_503(db_url: str, tmp_path: Path) -> None:
    settings = rush_settings(db_url, tmp_path, db_pool_size=1, max_concurrent_requests=1, db_pool_timeout_s=0.2)
    app = create_app(settings)
    with TestClient(app) as client, ExitStack() as taken:
        for _ in range(settings.db_pool_size + POOL_OVERFLOW):
            taken.enter_context(app.state.engine.connect())
        assert_busy(client.get("/api/v1/rooms"))
    with TestClient(app) as client:
        assert client.get("/api/v1/rooms").status_code == 200


def test_admission_sheds_a_request_that_waits_too_long_but_never_the_liveness_probe() -> None:
    release = asyncio.Event()

    async def held(scope: Any, receive: Any, send: Any) -> None:
        if scope["path"] != "/healthz":
            await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    gate = Admission(held, AdmissionLimits(concurrent_requests=1, wait_ms=100, worker_threads=4))

    async def scenario() -> tuple[int, httpx.Response, int]:
        transport = httpx.ASGITransport(app=gate)
        async with httpx.AsyncClient(transport=transport, base_url="http://rush") as client:
            first = asyncio.create_task(client.get("/api/v1/rooms"))
            await asyncio.sleep(0.05)
            second = await client.get("/api/v1/rooms")
            probe = await client.get("/healthz")
            release.set()
            return (await first).status_code, second, probe.status_code

    first, second, probe = run_apart(scenario())
    assert (first, probe) == (200, 200)
    assert_busy(second)


def test_admission_must_stay_below_the_pool_and_the_threads() -> None:
    with pytest.raises(ValidationError, match="POOL_SIZE"):
        Settings(max_concurrent_requests=30, db_pool_size=20)
    with pytest.raises(ValidationError, match="WORKER_THREADS"):
        Settings(max_concurrent_requests=12, worker_threads=12)
    with pytest.raises(ValidationError, match="greater than 0"):
        Settings(db_lock_timeout_ms=0)


# --- a burst against a real server -----------------------------------------------------------


async def fire(base: str, requests: list[tuple[dict[str, str], dict[str, Any]]], clients: int) -> list[httpx.Response]:
    """Send the bookings from `clients` concurrent connections, each taking the next one in turn."""
    pending = list(enumerate(requests))
    answers: list[httpx.Response | None] = [None] * len(requests)

    async def client_loop() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=60, verify=False) as client:
            while pending:
                n, (headers, body) = pending.pop()
                answers[n] = await client.post("/api/v1/bookings", json=body, headers=headers)

    await asyncio.gather(*(client_loop() for _ in range(clients)))
    return [a for a in answers if a is not None]


@pytest.mark.slow
@ON_POSTGRESQL
def test_a_burst_of_bookings_has_one_winner_per_slot_and_no_failure_but_503(
    db_url: str, tmp_path: Path, session: Session
) -> None:
    users = renters(session, 12)
    rooms = [make_room(session, code=f"RUSH-{i}") for i in range(2)]
    slots = [(room.id, day, hour) for room in rooms for day in bookable_days(session, 2) for hour in SLOT_HOURS]
    chooser = random.Random(10)
    requests = []
    for n in range(500):
        room_id, day, hour = slot = slots[n % len(slots)]
        body = booking_body(room_id, day, hour, chooser.choice((-30, 0, 30)))  # type: ignore[arg-type]
        requests.append((bearer(users[n % len(users)]), body, slot))
    session.commit()  # no transaction of ours idles (and times out) through the burst
    clients = 3 * WORKER_THREADS
    with serve_app(rush_settings(db_url, tmp_path)) as base:
        answers = run_apart(fire(base, [(h, b) for h, b, _ in requests], clients))
        started = time.monotonic()
        assert httpx.get(f"{base}/healthz", timeout=1).status_code == 200
        assert time.monotonic() - started < 1
    statuses = Counter(a.status_code for a in answers)
    assert len(answers) == 500
    assert {s for s in statuses if s >= 500} <= {503}, statuses
    assert all(a.headers.get("Retry-After") for a in answers if a.status_code == 503)
    assert set(statuses) <= {201, 409, 503}, statuses
    winners = Counter(slot for (_, _, slot), answer in zip(requests, answers, strict=True) if answer.status_code == 201)
    assert set(winners.values()) == {1}, winners
    session.expire_all()
    booked = session.exec(select(Booking).where(col(Booking.room_id).in_([r.id for r in rooms]))).all()
    assert len(booked) == len(winners) == statuses[201]
    # Nearly every slot was won: a shed request is the exception, not the rule.
    assert len(winners) >= len(slots) - 2, (winners, statuses)


@contextmanager
def facility_serve(db_url: str, tmp_path: Path, **settings: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`facility serve` in its own process, as in production."""
    port = free_port()
    env = {**os.environ, "FACILITY_DATABASE_URL": db_url, "FACILITY_SECRET_KEY": SECRET}
    env |= {"FACILITY_DATA_DIR": str(tmp_path)} | {f"FACILITY_{k.upper()}": v for k, v in settings.items()}
    process = subprocess.Popen(
        [sys.executable, "-m", "facility.cli", "serve", "--port", str(port)], env=env, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # Generous: a loaded CI machine has taken over 30 s to import and start the app.
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "facility serve did not start"
            time.sleep(0.2)
        yield process, base
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.slow
@ON_POSTGRESQL
def test_sigterm_stops_the_server_within_ten_seconds_under_load(
    db_url: str, tmp_path: Path, session: Session, engine: Engine
) -> None:
    users = renters(session, 2)
    room = make_room(session)
    day = bookable_days(session, 1)[0]
    requests = [(bearer(users[n % 2]), booking_body(room.id, day, 9, 30 * (n % 3))) for n in range(2000)]  # type: ignore[arg-type]
    stuck_org = users[0].organization_id
    session.commit()
    # A minute's lock timeout, and the first organisation's lock held here: its requests sit in the
    # database through the stop, the other's keep flowing.
    with facility_serve(db_url, tmp_path, db_lock_timeout_ms="60000") as (process, base), engine.connect() as holder:
        holder.execute(LOCK_ORGANIZATION, {"org": stuck_org})
        load = threading.Thread(target=lambda: asyncio.run(fire_until_refused(base, requests)), daemon=True)
        load.start()
        time.sleep(3)
        assert process.poll() is None
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
        assert time.monotonic() - started < 10
        holder.rollback()
        load.join(timeout=30)


async def fire_until_refused(base: str, requests: list[tuple[dict[str, str], dict[str, Any]]]) -> None:
    """Like fire(), but a refused connection (the server stopped) ends the load quietly."""
    try:
        await fire(base, requests, 3 * WORKER_THREADS)
    except httpx.HTTPError:
        pass
