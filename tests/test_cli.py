"""The commands a newcomer and an operator type, run as real processes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from facility.core import security
from facility.core.db import get_engine
from tests.conftest import free_port
from tests.test_demo_past import assert_demo_has_a_past, past_counts


def run_cli(*args: str, data_dir: Path, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "FACILITY_DATA_DIR": str(data_dir), **env}
    environment.pop("FACILITY_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "facility.cli", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_upgrade_users_add_and_token(tmp_path: Path) -> None:
    assert run_cli("db", "upgrade", data_dir=tmp_path).returncode == 0
    added = run_cli(
        "users", "add", "boss@example.kr", "--role", "manager", "--password", "long-enough-pw", data_dir=tmp_path
    )
    assert added.returncode == 0, added.stderr
    assert "manager boss@example.kr 계정을 만들었습니다" in added.stdout
    renter = run_cli(
        "users",
        "add",
        "r@example.kr",
        "--role",
        "renter",
        "--password",
        "long-enough-pw",
        "--org",
        "서초교사회",
        data_dir=tmp_path,
    )
    assert renter.returncode == 0, renter.stderr
    duplicate = run_cli(
        "users", "add", "boss@example.kr", "--role", "crew", "--password", "long-enough-pw", data_dir=tmp_path
    )
    assert duplicate.returncode == 1 and "이미 있습니다" in duplicate.stderr


def test_serve_refuses_unmigrated_database(tmp_path: Path) -> None:
    result = run_cli("serve", "--port", str(free_port()), data_dir=tmp_path)
    assert result.returncode == 2
    assert "facility db upgrade" in result.stderr


def test_demo_starts_everything_on_the_embedded_default(tmp_path: Path) -> None:
    port = free_port()
    environment = {**os.environ, "FACILITY_DATA_DIR": str(tmp_path)}
    for key in ("FACILITY_DATABASE_URL", "FACILITY_MQTT_URL", "FACILITY_INFLUX_URL"):
        environment.pop(key, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "facility.cli", "demo", "--port", str(port)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output = ""
    try:
        # The demo writes its past (rentals, inspections, 90 days of readings) before it serves.
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            raise AssertionError("facility demo did not start")
        login = httpx.get(f"http://127.0.0.1:{port}/login")
        assert "로그인" in login.text
        rooms = httpx.get(f"http://127.0.0.1:{port}/api/v1/rooms?limit=1").json()
        assert rooms["total"] > 50
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
    accounts = dict(re.findall(r"^\s+(renter|crew|manager|admin)\s+\S+@demo\.facility\.kr\s+(\S+)$", output, re.M))
    assert set(accounts) == {"renter", "crew", "manager", "admin"}, output[-2000:]


@pytest.mark.slow
def test_upgrade_seeds_content_and_demo_data_loads_the_whole_demo_twice(tmp_path: Path) -> None:
    upgraded = run_cli("--lang", "en", "db", "upgrade", data_dir=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "inspection templates 13" in upgraded.stdout
    first = run_cli("--lang", "en", "demo-data", data_dir=tmp_path, timeout=300)
    assert first.returncode == 0, first.stderr
    assert re.search(r"^generated in [0-9.]+ s$", first.stdout, re.M), first.stdout
    url = f"sqlite:///{(tmp_path / 'facility.db').resolve()}"
    past = assert_demo_has_a_past(url)
    second = run_cli("--lang", "en", "demo-data", data_dir=tmp_path, timeout=300)
    assert second.returncode == 0, second.stderr
    assert past_counts(url) == past
    loaded = [line for line in first.stdout.splitlines() if line.startswith("demo loaded")][0]
    assert "plans_created" in loaded and "plans_created 0" not in loaded
    again = [line for line in second.stdout.splitlines() if line.startswith("demo loaded")][0]
    assert "plans_created 0" in again and "bookings made 0" in again
    engine = get_engine(f"sqlite:///{(tmp_path / 'facility.db').resolve()}")
    with engine.connect() as connection:
        counts = {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()
            for table in ("mnt_asset", "mnt_plan", "fee_schedule", "device", "booking", "booking_block")
        }
    engine.dispose()
    assert all(counts.values()), counts


@pytest.mark.usefixtures("upgraded_dir")  # tmp_path holds what `facility db upgrade` leaves
def test_users_set_password_replaces_an_existing_password_and_ends_old_sessions(tmp_path: Path) -> None:
    old, new = "first-horse-battery-staple", "second-kettle-ocean-lantern"
    added = run_cli("users", "add", "admin@example.kr", "--role", "admin", "--password", old, data_dir=tmp_path)
    assert added.returncode == 0, added.stderr
    engine = get_engine(f"sqlite:///{tmp_path / 'facility.db'}")
    with engine.connect() as connection:
        before = connection.execute(text("select password_hash, session_version from user_account")).one()
    changed = run_cli("users", "set-password", "admin@example.kr", "--password", new, data_dir=tmp_path)
    assert changed.returncode == 0, changed.stderr
    assert "admin@example.kr" in changed.stdout and "비밀번호" in changed.stdout
    with engine.connect() as connection:
        after = connection.execute(text("select password_hash, session_version from user_account")).one()
        audited = connection.execute(text("select count(*) from audit_entry where action = 'user.set_password'"))
        assert audited.scalar_one() == 1
    assert after.session_version == before.session_version + 1
    assert security.verify_password(after.password_hash, new) and not security.verify_password(after.password_hash, old)

    unknown = run_cli("users", "set-password", "nobody@example.kr", "--password", new, data_dir=tmp_path)
    assert unknown.returncode == 1 and "nobody@example.kr" in unknown.stderr
    weak = run_cli(
        "--lang", "en", "users", "set-password", "admin@example.kr", "--password", "password123", data_dir=tmp_path
    )
    assert weak.returncode == 1 and "too easy to guess" in weak.stderr
