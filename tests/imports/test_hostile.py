"""Hostile uploads are refused with a 4xx (or exit 1), and the web app keeps answering meanwhile.

Each file of tests/imports/hostile.py goes through the admin's preview on a real uvicorn over
PostgreSQL while the test polls `/healthz`. The old preview parsed on the event loop, so `/healthz`
waited for the whole parse (35 s for the dimension trick); parsed in the thread pool, it answers in
milliseconds. The bound of 1 s is far above that, so a loaded machine does not break it, and far
below what a blocked loop costs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session

from facility.core.config import Settings
from facility.core.db import get_engine
from facility.core.models import Role
from tests.conftest import clean_database, serve_app
from tests.factories import PASSWORD, make_building, make_user
from tests.imports.hostile import HOSTILE
from tests.keys import TEST_SECRET_KEY

HEALTHZ_BOUND_S = 1.0


def sign_in(client: httpx.Client, email: str) -> str:
    """Sign in through the form; returns a CSRF token for the next posts."""
    form = client.get("/login").text
    csrf = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf}).status_code == 303
    page = client.get("/admin/import").text
    return page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


@pytest.fixture
def pg_url(database_urls: dict[str, str]) -> str:
    url = database_urls["postgresql"]
    clean_database(get_engine(url))
    with Session(get_engine(url)) as session:
        make_building(session, code="main-edu")
    return url


def test_each_hostile_upload_is_refused_while_healthz_keeps_answering(pg_url: str, tmp_path: Path) -> None:
    with Session(get_engine(pg_url), expire_on_commit=False) as session:
        admin = make_user(session, role=Role.admin)
    settings = Settings(database_url=pg_url, data_dir=tmp_path, secret_key=TEST_SECRET_KEY)
    with serve_app(settings) as base, httpx.Client(base_url=base, timeout=120) as client:
        csrf = sign_in(client, admin.email)
        for name, build in HOSTILE.items():
            data = build()
            answer: list[httpx.Response] = []

            def upload(data: bytes = data, answer: list[httpx.Response] = answer) -> None:
                files = {"file": ("hostile.xlsx", data)}
                answer.append(
                    client.post("/admin/import/preview", data={"kind": "rooms", "csrf_token": csrf}, files=files)
                )

            worker = threading.Thread(target=upload)
            worker.start()
            waits = []
            with httpx.Client(base_url=base, timeout=30) as probe:
                while worker.is_alive() or len(waits) < 3:
                    started = time.monotonic()
                    assert probe.get("/healthz").status_code == 200
                    waits.append(time.monotonic() - started)
                    time.sleep(0.05)
            worker.join()
            assert 400 <= answer[0].status_code < 500, (name, answer[0].status_code)
            assert max(waits) < HEALTHZ_BOUND_S, (name, waits)


def run_import_cli(url: str, path: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FACILITY_DATABASE_URL": url, "FACILITY_DATA_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "facility.cli", "import", "rooms", str(path)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("name", HOSTILE)
def test_the_cli_refuses_each_hostile_file_cleanly(pg_url: str, tmp_path: Path, name: str) -> None:
    path = tmp_path / "hostile.bin"
    path.write_bytes(HOSTILE[name]())
    result = run_import_cli(pg_url, path, tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and ("error:" in result.stderr or "row 2, column" in result.stderr)
