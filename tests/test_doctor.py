"""`facility doctor` against the real PostgreSQL, Mosquitto and influxd (and a tiny SMTP responder)."""

from __future__ import annotations

import os
import socketserver
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from facility.core.config import MailSettings, Settings
from facility.core.db import get_engine, utcnow
from facility.core.jobs import SchedulerState
from facility.doctor import Status, check_cookies, check_scheduler, check_secret_key
from facility.doctor_services import check_broker, run_doctor
from facility.sensors.store.influx import InfluxV1Store
from tests.conftest import free_port
from tests.keys import TEST_SECRET_KEY
from tests.sensors.services import Mosquitto

KEY = TEST_SECRET_KEY


class _Greeter(socketserver.StreamRequestHandler):
    """Just enough SMTP for a greeting: 220, then 250 to anything until QUIT."""

    def handle(self) -> None:
        self.wfile.write(b"220 test ESMTP\r\n")
        for line in self.rfile:
            if line.upper().startswith(b"QUIT"):
                self.wfile.write(b"221 bye\r\n")
                return
            reply = b"250-test\r\n250 OK\r\n" if line.upper().startswith(b"EHLO") else b"250 OK\r\n"
            self.wfile.write(reply)


@pytest.fixture
def smtp_port() -> Iterator[int]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Greeter)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_healthy_deployment_passes_every_check(
    db_url: str, mosquitto: Mosquitto, influx_store: InfluxV1Store, smtp_port: int, tmp_path: Path
) -> None:
    influx_store.ensure_ready()
    with Session(get_engine(db_url)) as session:
        session.add(SchedulerState(name="outbox.send", last_run_at=utcnow() - timedelta(seconds=20)))
        session.commit()
    settings = Settings(
        database_url=db_url,
        data_dir=tmp_path,
        secret_key=KEY,
        cookie_secure=True,
        trusted_proxies="127.0.0.1",
        mqtt_url=mosquitto.url,
        influx_url=influx_store.url,
        influx_db=influx_store.database,
        mail=MailSettings(host="127.0.0.1", port=smtp_port, starttls=False),
    )
    findings = run_doctor(settings)
    assert [(f.check, f.status) for f in findings if f.status != Status.ok] == [], findings
    assert influx_store.query("SHOW MEASUREMENTS") == []  # the probe is gone again


def test_wrong_password_secret_key_cookies_and_a_stale_scheduler(
    mosquitto: Mosquitto, database_urls: dict[str, str], tmp_path: Path
) -> None:
    wrong = Settings(mqtt_url=mosquitto.url.replace(":test-secret@", ":wrong@"))
    assert check_broker(wrong).status == Status.fail
    production = Settings(database_url=database_urls["postgresql"], data_dir=tmp_path, trusted_proxies="10.0.0.1")
    assert check_secret_key(production).status == Status.fail
    assert check_secret_key(production.model_copy(update={"database_url": ""})).status == Status.ok
    assert check_cookies(production).status == Status.warn
    engine = get_engine(database_urls["postgresql"])
    with Session(engine) as session:
        session.merge(SchedulerState(name="outbox.send", last_run_at=utcnow() - timedelta(hours=2)))
        session.commit()
    stale = check_scheduler(engine, utcnow())
    assert stale.status == Status.fail and "120" in stale.message


def test_stopped_services_and_an_unmigrated_database_each_fail_in_plain_words(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    env = {key: value for key, value in os.environ.items() if not key.startswith("FACILITY_")}
    env.update(
        FACILITY_DATA_DIR=str(tmp_path),
        FACILITY_DATABASE_URL=f"sqlite:///{empty}",
        FACILITY_MQTT_URL=f"mqtt://facility-gateway:pw@127.0.0.1:{free_port()}",
        FACILITY_INFLUX_URL=f"http://127.0.0.1:{free_port()}",
        FACILITY_SMTP_HOST="127.0.0.1",
        FACILITY_SMTP_PORT=str(free_port()),
    )
    result = subprocess.run(
        [sys.executable, "-m", "facility.cli", "--lang", "en", "doctor", "--timeout", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    lines = {line.split()[1]: line for line in result.stdout.splitlines() if line.startswith(("OK", "WARN", "FAIL"))}
    assert lines["database"].startswith("FAIL") and "is not migrated" in lines["database"]
    assert "facility db upgrade" in result.stdout
    assert lines["broker"].startswith("FAIL") and "Cannot reach the broker" in lines["broker"]
    assert lines["InfluxDB"].startswith("FAIL") and "Cannot reach InfluxDB" in lines["InfluxDB"]
    assert lines["SMTP"].startswith("FAIL")
    assert lines["scheduler"].startswith("WARN") and lines["secret"].startswith("OK")
