"""`facility serve --workers 2` on the real PostgreSQL: two processes behind one port act as one app.

Each response names its worker (X-Facility-Worker), so the test sees a session signed and a row
written through one worker hold on the other, whatever the machine's load.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import Session

from facility.core.config import Settings
from facility.core.db import get_engine
from facility.core.models import Role
from facility.core.ops import WORKER_HEADER
from facility.doctor import Status, check_connections
from tests.conftest import clean_database, free_port
from tests.factories import PASSWORD, make_building, make_user
from tests.keys import TEST_SECRET_KEY

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def worker_pids(parent: int) -> list[int]:
    """The worker processes the serving process supervises (facility/serve.py)."""
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return [int(pid) for pid in children if b"--reuse-port" in Path(f"/proc/{pid}/cmdline").read_bytes()]


def sign_in_page(client: httpx.Client, email: str) -> str:
    """Sign in through the form; returns the worker that signed the session."""
    form = client.get("/login").text
    csrf = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf})
    assert response.status_code == 303, response.text
    return response.headers[WORKER_HEADER]


def start_workers(url: str, port: int, data_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    """`facility serve --workers 2`, with pools sized for a test database that other tests use at
    the same time (each worker may hold pool + overflow connections; the default is 24)."""
    env = {**os.environ, "FACILITY_DATABASE_URL": url, "FACILITY_SECRET_KEY": TEST_SECRET_KEY}
    env |= {"FACILITY_DATA_DIR": str(data_dir), "FACILITY_DB_POOL_SIZE": "4", "FACILITY_MAX_CONCURRENT_REQUESTS": "3"}
    # A file, not a pipe: the access log of a few hundred requests would fill a pipe nobody reads.
    return subprocess.Popen(
        [sys.executable, "-m", "facility.cli", "serve", "--workers", "2", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )


def stop_workers(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


def wait_for(condition: Callable[[], bool], seconds: float, what: Callable[[], str]) -> None:
    """Until `condition` holds; a bound only against a hang (the machine may be loaded)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what()
        time.sleep(0.1)


def test_a_worker_that_dies_or_cannot_start_is_restarted_while_the_other_serves(
    database_urls: dict[str, str], tmp_path: Path
) -> None:
    url = database_urls["postgresql"]
    clean_database(get_engine(url))
    port, log = free_port(), tmp_path / "serve.log"
    base = f"http://127.0.0.1:{port}"
    process = start_workers(url, port, tmp_path, log)
    tail = lambda: log.read_text()[-3000:]  # noqa: E731
    try:
        wait_for(lambda: log.read_text().count("Application startup complete") >= 2, 300, tail)
        survivor, victim = worker_pids(process.pid)
        os.kill(victim, signal.SIGKILL)
        # Its replacement dies at its start too (as when the database had no connection left):
        # the supervisor starts another after a longer backoff, and does not stop the survivor.
        # The victim may still be listed until the supervisor reaps it: a replacement is a new pid.
        seen: dict[str, set[int]] = {}

        def replaced() -> bool:
            seen["new"] = set(worker_pids(process.pid)) - {survivor, victim}
            return len(seen["new"]) == 1

        wait_for(replaced, 120, tail)
        (replacement,) = seen["new"]
        os.kill(replacement, signal.SIGKILL)
        # Meanwhile every request on a new connection is answered.
        answered = Counter()
        for _ in range(10):
            response = httpx.get(f"{base}/api/v1/rooms", timeout=30)
            assert response.status_code == 200, response.text
            answered[response.headers[WORKER_HEADER]] += 1
        assert answered, answered
        wait_for(lambda: len(set(worker_pids(process.pid)) - {survivor, victim, replacement}) == 1, 120, tail)
        wait_for(lambda: log.read_text().count("Application startup complete") >= 3, 300, tail)
        assert process.poll() is None and survivor in worker_pids(process.pid)
        restarts = [line for line in log.read_text().splitlines() if "starting another in" in line]
        assert [line.split("starting another in ")[1][:3] for line in restarts] == ["1 s", "2 s"], restarts
    finally:
        stop_workers(process)
    assert process.returncode == 0, tail()


def test_the_supervisor_stops_when_every_worker_fails_its_first_start(
    database_urls: dict[str, str], tmp_path: Path
) -> None:
    """A port taken by a process that does not share it: no restart will help, so exit 3."""
    url = database_urls["postgresql"]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        process = start_workers(url, taken.getsockname()[1], tmp_path, tmp_path / "serve.log")
        try:
            process.wait(timeout=300)
        finally:
            if process.poll() is None:
                stop_workers(process)
    assert process.returncode == 3, (tmp_path / "serve.log").read_text()[-3000:]


def test_two_workers_share_sessions_and_writes_and_stop_on_sigterm(
    database_urls: dict[str, str], tmp_path: Path
) -> None:
    url = database_urls["postgresql"]
    clean_database(get_engine(url))
    with Session(get_engine(url)) as session:
        email = make_user(session, role=Role.manager).email
        make_building(session)
    port = free_port()
    log = tmp_path / "serve.log"
    process = start_workers(url, port, tmp_path, log)
    # A new connection per request, so the kernel hands each one to whichever worker accepts it.
    base = f"http://127.0.0.1:{port}"
    fresh = httpx.Limits(max_keepalive_connections=0)
    try:
        # Two processes importing the whole app take a while on a loaded machine.
        deadline = time.monotonic() + 150
        # Both workers log their start-up (the factory configures their logging).
        while log.read_text().count("Application startup complete") < 2 or not _answers(base):
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.2)
        with (
            httpx.Client(base_url=base, limits=fresh, timeout=30) as browser,
            httpx.Client(base_url=base, limits=fresh, timeout=30) as api,
        ):
            token = api.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
            api.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
            made = api.post("/api/v1/buildings", json={"code": "W2", "campus": "main", "name_ko": "별관"})
            assert made.status_code == 201, made.text
            writer, signer = made.headers[WORKER_HEADER], sign_in_page(browser, email)
            # Until the other worker has answered each: the write and both kinds of sign-in hold there.
            seen, crossed = {writer, signer}, set()
            while crossed != {"api", "page"}:
                assert time.monotonic() < deadline + 120, f"only {seen} answered: {log.read_text()[-2000:]}"
                audit = api.get("/api/v1/audit")
                assert audit.status_code == 200 and "W2" in audit.text
                page = browser.get("/audit")
                assert page.status_code == 200 and "/login" not in str(page.url)
                seen |= {audit.headers[WORKER_HEADER], page.headers[WORKER_HEADER]}
                crossed |= {"api"} if audit.headers[WORKER_HEADER] != writer else set()
                crossed |= {"page"} if page.headers[WORKER_HEADER] != signer else set()
            assert len(seen) == len(pids := worker_pids(process.pid)) == 2
        # A burst of new connections is spread over both workers (each binds the port with
        # SO_REUSEPORT): under uvicorn's one shared socket, 200 at once split as badly as 169 to 31.
        # On a thread of its own: a browser test before this one in the same process may have
        # left its event loop running on this thread (Playwright's sync API).
        with ThreadPoolExecutor(1) as thread:
            spread = Counter(thread.submit(asyncio.run, burst_of_connections("127.0.0.1", port, 200)).result())
        assert set(spread) == seen and min(spread.values()) >= 60, spread
    finally:
        stop_workers(process)
    assert process.returncode == 0, log.read_text()[-2000:]
    assert not any(Path(f"/proc/{pid}").exists() for pid in pids)


async def burst_of_connections(host: str, port: int, count: int) -> list[str]:
    """`count` connections opened at once, one /healthz each: the worker that answered each."""

    async def one() -> str:
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: burst\r\n\r\n")
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
        writer.close()
        return head.split(f"{WORKER_HEADER.lower()}: ", 1)[1].split("\r\n", 1)[0]

    return list(await asyncio.gather(*(one() for _ in range(count))))


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_several_workers_refuse_a_generated_secret_key(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "FACILITY_SECRET_KEY"}
    result = subprocess.run(
        [sys.executable, "-m", "facility.cli", "serve", "--workers", "2", "--port", str(free_port())],
        env={**env, "FACILITY_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "FACILITY_SECRET_KEY" in result.stderr


def test_the_connections_per_host_are_bounded_and_checked_against_max_connections(
    database_urls: dict[str, str], tmp_path: Path
) -> None:
    url = database_urls["postgresql"]
    with get_engine(url).connect() as connection:
        allowed = int(connection.execute(text("SHOW max_connections")).scalar_one()) - int(
            connection.execute(text("SHOW superuser_reserved_connections")).scalar_one()
        )
    engine = get_engine(url)
    settings = Settings(database_url=url, data_dir=tmp_path)
    for declared, status in ((0, Status.ok), (allowed, Status.warn), (allowed + 1, Status.fail)):
        finding = check_connections(settings.model_copy(update={"db_max_connections_per_host": declared}), engine)
        assert finding.status == status, (declared, finding)
    # Two workers of pool 20 (+4 overflow) may open 48: more than the 40 declared, so no start.
    env = {**os.environ, "FACILITY_DATABASE_URL": url, "FACILITY_SECRET_KEY": TEST_SECRET_KEY}
    env |= {"FACILITY_DATA_DIR": str(tmp_path), "FACILITY_DB_MAX_CONNECTIONS_PER_HOST": "40"}
    result = subprocess.run(
        [sys.executable, "-m", "facility.cli", "--lang", "en", "serve", "--workers", "2", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and "48 connections" in result.stderr, result.stderr
