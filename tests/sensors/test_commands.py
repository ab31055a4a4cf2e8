"""`facility gateway` and `facility simulate` from the command line, against real services."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from facility.core.db import get_engine
from facility.demo.load import load_demo_campus
from facility.sensors.broker_url import BrokerAddress, make_client
from tests.conftest import clean_database
from tests.sensors.mqtt_helpers import wait_until
from tests.sensors.services import REPO, Mosquitto


def run_cli(*args: str, env: dict[str, str], timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "facility.cli", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=timeout,
    )


def test_gateway_without_a_broker_url_says_what_to_set(tmp_path: Path) -> None:
    result = run_cli("gateway", env={"FACILITY_DATA_DIR": str(tmp_path), "FACILITY_MQTT_URL": ""})
    assert result.returncode == 2 and "FACILITY_MQTT_URL" in result.stderr


def test_gateway_with_a_bad_mapping_file_or_profile_stops_naming_the_line(tmp_path: Path) -> None:
    mapping = tmp_path / "devices.yaml"
    mapping.write_text('devices:\n  - topic: "plant/{device}"\n    metrics:\n      carbon: {path: co2}\n')
    env = {"FACILITY_DATA_DIR": str(tmp_path), "FACILITY_MQTT_URL": "mqtt://127.0.0.1:9"}
    result = run_cli("gateway", env={**env, "FACILITY_DEVICE_MAPPING_FILE": str(mapping)})
    assert result.returncode == 2 and f"error: {mapping}:4: unknown metric 'carbon'" in result.stderr
    result = run_cli("gateway", env={**env, "FACILITY_DEVICE_PROFILES": "facility,zigbe2mqtt"})
    assert result.returncode == 2 and "FACILITY_DEVICE_PROFILES: unknown device profiles zigbe2mqtt" in result.stderr


def test_gateway_with_a_wrong_password_exits_with_a_clear_message(tmp_path: Path, mosquitto: Mosquitto) -> None:
    result = run_cli(
        "gateway",
        env={"FACILITY_DATA_DIR": str(tmp_path), "FACILITY_MQTT_URL": mosquitto.url.replace("test-secret", "nope")},
    )
    assert result.returncode == 3 and "authentication failed" in result.stderr


def demo_campus_on_sqlite(database_urls: dict[str, str]) -> str:
    """The SQLite test database holding the demo campus (and so its sensors); its URL."""
    from sqlmodel import Session

    url = database_urls["sqlite"]
    engine = get_engine(url)
    clean_database(engine)
    with Session(engine) as session:
        load_demo_campus(session)
        session.commit()
    return url


def test_simulate_publishes_realistic_readings_for_the_demo_campus(
    tmp_path: Path, mosquitto: Mosquitto, database_urls: dict[str, str]
) -> None:
    url = demo_campus_on_sqlite(database_urls)
    received: list[tuple[str, bytes]] = []
    watcher = make_client(mosquitto.url, "test-watcher")
    watcher.on_message = lambda _c, _u, m: received.append((m.topic, m.payload))
    address = BrokerAddress.parse(mosquitto.url)
    watcher.connect(address.host, address.port)
    watcher.subscribe("facility/#", qos=1)
    watcher.loop_start()
    env = {**os.environ, "FACILITY_DATABASE_URL": url, "FACILITY_DATA_DIR": str(tmp_path)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "facility.cli",
            "simulate",
            "--url",
            mosquitto.simulator_url,
            "--interval",
            "2",
            "--bad-rate",
            "0",
            "--seed",
            "1",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        # Every sensor reports once per interval (2 s), spread across it.
        wait_until(lambda: len({t.split("/")[3] for t, _ in received if not t.endswith("/status")}) > 220, timeout=30)
    finally:
        process.terminate()
        process.wait(timeout=20)
        watcher.loop_stop()
    env_reading = next(json.loads(p) for t, p in received if t == "facility/edu/E-101/env-E-101")
    assert set(env_reading["metrics"]) >= {"temperature", "humidity", "co2", "occupancy", "people_count"}
    assert 15 < env_reading["metrics"]["temperature"] < 30 and env_reading["metrics"]["co2"] >= 420
    assert any(t == "facility/pool/P-POOL/pool-P-POOL/ph" for t, _ in received)  # bare numbers per metric
    assert any(t.endswith("/status") and p == b"online" for t, p in received)
