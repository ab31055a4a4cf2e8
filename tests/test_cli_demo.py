"""`facility demo` and `facility demo-data`, as real processes: the slow half of test_cli.py in a
file of its own, so the two test processes share them."""

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

from facility.core.db import get_engine
from tests.conftest import free_port
from tests.test_cli import run_cli
from tests.test_demo_past import assert_demo_has_a_past, past_counts


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
        # The plant room's Modbus meter and BACnet air handler are simulated and polled.
        assert "plant:" in (tmp_path / "demo-plant.yaml").read_text()
        engine = get_engine(f"sqlite:///{(tmp_path / 'facility.db').resolve()}")
        polled: set[str] = set()
        while time.monotonic() < deadline + 120 and len(polled) < 2:
            with engine.connect() as connection:
                query = text("SELECT code FROM device WHERE profile IN ('modbus', 'bacnet')")
                polled = set(connection.execute(query).scalars())
            time.sleep(0.5)
        assert polled == {"modbus:meter-plant", "bacnet:ahu-plant"}
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
