"""`facility serve --workers 2` on the real PostgreSQL: two processes behind one port act as one app.

Each response names its worker (X-Facility-Worker), so the test sees a session signed and a row
written through one worker hold on the other, whatever the machine's load.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session

from facility.core.db import get_engine
from facility.core.models import Role
from facility.core.ops import WORKER_HEADER
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


def test_two_workers_share_sessions_and_writes_and_stop_on_sigterm(
    database_urls: dict[str, str], tmp_path: Path
) -> None:
    url = database_urls["postgresql"]
    clean_database(get_engine(url))
    with Session(get_engine(url)) as session:
        email = make_user(session, role=Role.manager).email
        make_building(session)
    port = free_port()
    env = {**os.environ, "FACILITY_DATABASE_URL": url, "FACILITY_SECRET_KEY": TEST_SECRET_KEY}
    env["FACILITY_DATA_DIR"] = str(tmp_path)
    # A file, not a pipe: the access log of a few hundred requests would fill a pipe nobody reads.
    log = tmp_path / "serve.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "facility.cli", "serve", "--workers", "2", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
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
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
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
