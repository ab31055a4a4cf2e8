import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlmodel import Session, select

from facility.app import NotMigrated, create_app
from facility.core.config import Settings, SettingsError, load_settings
from facility.core.models import SignInThrottle
from tests.conftest import free_port
from tests.keys import TEST_METRICS_TOKEN


def test_healthz_and_metrics(settings: Settings) -> None:
    with TestClient(create_app(settings.model_copy(update={"metrics_token": TEST_METRICS_TOKEN}))) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        client.get("/api/v1/rooms")
        metrics = client.get("/metrics", headers={"Authorization": f"Bearer {TEST_METRICS_TOKEN}"})
        assert metrics.status_code == 200
        assert 'facility_http_requests_total{method="GET",route="/api/v1/rooms",status="200"}' in metrics.text
        for wrong in (
            {},
            {"Authorization": f"Bearer {TEST_METRICS_TOKEN[:-1]}"},
            {"Authorization": f"Basic {TEST_METRICS_TOKEN}"},
        ):
            refused = client.get("/metrics", headers=wrong)
            assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == "Bearer"


def test_metrics_are_not_served_without_a_token_setting(client: TestClient) -> None:
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


def test_forwarded_for_counts_only_from_a_trusted_proxy(settings: Settings, session: Session) -> None:
    """The sign-in throttle and the audit log see the peer, unless the peer is a configured proxy."""
    forged = {"X-Forwarded-For": "203.0.113.9"}
    form = {"username": "nobody@example.kr", "password": "wrong-password"}
    with TestClient(create_app(settings)) as client:
        client.post("/api/v1/auth/token", data=form, headers=forged)
    proxied = settings.model_copy(update={"trusted_proxies": "127.0.0.1,10.0.0.0/8"})
    with TestClient(create_app(proxied), client=("10.1.2.3", 50000)) as client:
        client.post("/api/v1/auth/token", data=form, headers=forged)
    session.commit()
    keys = {row.key for row in session.exec(select(SignInThrottle)).all()}
    assert keys == {"account:nobody@example.kr", "address:testclient", "address:203.0.113.9"}


def test_trusted_proxies_must_be_addresses() -> None:
    with pytest.raises(ValidationError):
        Settings(trusted_proxies="10.0.0.1,proxy.example")


def test_readyz_checks_database(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok"}


def test_readyz_reports_real_broker_and_missing_influx(settings: Settings) -> None:
    dead_port = free_port()
    configured = settings.model_copy(
        update={"mqtt_url": "mqtt://127.0.0.1:1883", "influx_url": f"http://127.0.0.1:{dead_port}"}
    )
    with TestClient(create_app(configured)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"] == "ok"  # the machine's Mosquitto
    assert checks["influxdb"].startswith("unreachable")


def test_app_refuses_unmigrated_database(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}", data_dir=tmp_path)
    with pytest.raises(NotMigrated, match="facility db upgrade"):
        create_app(settings)


def test_bad_setting_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACILITY_INFLUX_API", "v9")
    with pytest.raises(SettingsError, match="FACILITY_INFLUX_API"):
        load_settings()
    monkeypatch.setenv("FACILITY_INFLUX_API", "v1")
    monkeypatch.setenv("FACILITY_TIMEZONE", "Mars/Olympus")
    with pytest.raises(SettingsError, match="FACILITY_TIMEZONE"):
        load_settings()


def test_cli_bad_setting_exits_with_message(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "facility.cli", "--lang", "en", "db", "upgrade"],
        env={"FACILITY_DATABASE_URL": "mysql://x", "FACILITY_DATA_DIR": str(tmp_path), "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("error: invalid setting FACILITY_DATABASE_URL")


def test_secret_key_generated_once(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = settings.resolved_secret_key()
    assert len(first) > 40 and first == Settings(data_dir=tmp_path).resolved_secret_key()
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_postgres_url_gets_psycopg_driver() -> None:
    settings = Settings(database_url="postgresql://postgres@127.0.0.1:5432/test")
    assert settings.sqlalchemy_url == "postgresql+psycopg://postgres@127.0.0.1:5432/test"
