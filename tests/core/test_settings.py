"""One settings tree, checked whole when any process starts, and handed to the code that uses it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from pydantic_settings import BaseSettings
from sqlmodel import Session

from facility.app import create_app
from facility.booking.models import Booking
from facility.core.config import SECTIONS, Settings, SettingsError, load_settings, secret_weakness
from facility.core.models import Role
from tests.conftest import free_port
from tests.factories import browser_login, make_room, make_user, token_headers
from tests.keys import TEST_METRICS_TOKEN, TEST_SECRET_KEY

OPERATIONS_DOC = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def run_cli(*args: str, data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("FACILITY_")}
    environment.update(FACILITY_DATA_DIR=str(data_dir), **env)
    return subprocess.run(
        [sys.executable, "-m", "facility.cli", *args], env=environment, capture_output=True, text=True, timeout=120
    )


def assert_stopped_naming(result: subprocess.CompletedProcess[str], variable: str, code: int = 2) -> None:
    assert result.returncode == code, result.stdout + result.stderr
    assert variable in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 1, result.stderr


def test_a_bad_smtp_port_stops_db_upgrade_before_it_touches_the_database(tmp_path: Path) -> None:
    result = run_cli("db", "upgrade", data_dir=tmp_path, FACILITY_SMTP_PORT="abc")
    assert_stopped_naming(result, "FACILITY_SMTP_PORT")
    assert "잘못된 설정" in result.stderr
    assert not (tmp_path / "facility.db").exists()


@pytest.mark.parametrize(
    "command",
    [["serve", "--port", "0"], ["scheduler", "--once"], ["gateway"], ["demo-data"], ["backup", "b"]],
    ids=lambda command: command[0],
)
def test_every_process_refuses_a_bad_webhook_timeout_at_start(tmp_path: Path, command: list[str]) -> None:
    result = run_cli(
        *command, data_dir=tmp_path, FACILITY_WEBHOOK_TIMEOUT_S="soon", FACILITY_MQTT_URL="mqtt://127.0.0.1:1"
    )
    assert_stopped_naming(result, "FACILITY_WEBHOOK_TIMEOUT_S")


def test_the_sections_are_checked_whole_and_named_by_their_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable, value in (
        ("FACILITY_WEBHOOK_TIMEOUT_S", "0"),
        ("FACILITY_WEBHOOK_URL", "ftp://bridge"),
        ("FACILITY_SMTP_TIMEOUT_S", "-1"),
        ("FACILITY_SPOOL_MAX_MB", "lots"),
        ("FACILITY_READINGS_RETENTION_DAYS", "0"),
        ("FACILITY_INSTITUTION_BUSINESS_NUMBER", "123-45-67890"),  # a wrong check digit
        ("FACILITY_INSTITUTION_SEAL_IMAGE", "/nonexistent/seal.png"),
    ):
        with monkeypatch.context() as env:
            env.setenv(variable, value)
            with pytest.raises(SettingsError, match=variable):
                load_settings()
    monkeypatch.setenv("FACILITY_SMTP_PORT", "2525")
    monkeypatch.setenv("FACILITY_WEBHOOK_TIMEOUT_S", "2.5")
    monkeypatch.setenv("FACILITY_SPOOL_MAX_MB", "64")
    loaded = load_settings()
    assert (loaded.mail.port, loaded.webhook.timeout_s, loaded.sensors.spool_max_mb) == (2525, 2.5, 64)


@pytest.mark.parametrize(
    "weak",
    [
        "CHANGE-ME",
        "changeme-changeme-changeme-changeme",
        "test-secret-key",
        "x" * 64,
        "ab" * 20,
        "short-but-random-Q7x",
    ],
)
def test_weak_secret_keys_and_metrics_tokens_are_refused(weak: str) -> None:
    assert secret_weakness(weak)
    for field in ("secret_key", "metrics_token"):
        with pytest.raises(ValidationError):
            Settings(**{field: weak})


def test_the_example_key_stops_serve_with_workers_and_doctor_fails(tmp_path: Path) -> None:
    serve = run_cli(
        "serve", "--workers", "2", "--port", str(free_port()), data_dir=tmp_path, FACILITY_SECRET_KEY="CHANGE-ME"
    )
    assert_stopped_naming(serve, "FACILITY_SECRET_KEY")
    metrics = run_cli("serve", "--port", str(free_port()), data_dir=tmp_path, FACILITY_METRICS_TOKEN="CHANGE-ME")
    assert_stopped_naming(metrics, "FACILITY_METRICS_TOKEN")
    doctor = run_cli("--lang", "en", "doctor", data_dir=tmp_path, FACILITY_SECRET_KEY="CHANGE-ME")
    assert doctor.returncode == 1, doctor.stdout + doctor.stderr
    assert re.search(r"^FAIL\s+settings\s+invalid setting FACILITY_SECRET_KEY: is a placeholder", doctor.stdout, re.M)


def test_the_key_generated_into_the_data_directory_is_strong_and_kept(settings: Settings) -> None:
    unset = settings.model_copy(update={"secret_key": ""})
    first = create_app(unset).state.secret_key
    assert secret_weakness(first) is None
    assert create_app(unset).state.secret_key == first
    assert secret_weakness(TEST_SECRET_KEY) is None and secret_weakness(TEST_METRICS_TOKEN) is None


def test_the_apps_time_zone_reaches_its_services_and_its_pages(settings: Settings, session: Session) -> None:
    room = make_room(session)
    renter = make_user(session)
    manager = make_user(session, role=Role.manager)
    # 10:00 in London is 19:00 in Seoul: either zone shows through.
    booking = Booking(
        room_id=room.id,
        organization_id=renter.organization_id,
        user_id=renter.id,
        title="Zone check",
        starts_at=datetime(2099, 3, 10, 10, tzinfo=UTC),
        ends_at=datetime(2099, 3, 10, 12, tzinfo=UTC),
        status="requested",
    )
    session.add(booking)
    session.commit()
    london = settings.model_copy(update={"timezone": "Europe/London"})
    with TestClient(create_app(london)) as client:
        api = client.get(f"/api/v1/bookings/{booking.id}", headers=token_headers(client, manager))
        assert api.status_code == 200, api.text
        assert api.json()["start"].startswith("2099-03-10T10:00:00"), api.json()
        assert not api.json()["start"].endswith("+09:00")
        browser_login(client, manager)
        page = client.get("/manage/bookings")
        assert "10:00–12:00" in page.text


def test_the_operations_docs_list_every_variable_of_the_tree() -> None:
    documented = set(re.findall(r"^\| `(FACILITY_[A-Z0-9_]+)`", OPERATIONS_DOC.read_text(), re.M))
    variables = {
        str(section.model_config.get("env_prefix", "")) + name.upper()
        for section in SECTIONS.values()
        for name, field in section.model_fields.items()
        if not (isinstance(field.annotation, type) and issubclass(field.annotation, BaseSettings))
    }
    assert variables - documented == set()


def test_the_command_line_answers_in_korean_unless_told_english(tmp_path: Path) -> None:
    korean = run_cli("db", "upgrade", data_dir=tmp_path)
    assert korean.returncode == 0, korean.stderr
    assert "데이터베이스가 최신 스키마입니다" in korean.stdout and "점검 양식 13" in korean.stdout
    english = run_cli("--lang", "en", "db", "upgrade", data_dir=tmp_path)
    assert "database at head" in english.stdout and "inspection templates 13" in english.stdout
    assert "데이터베이스" not in english.stdout
    help_text = run_cli("--help", data_dir=tmp_path).stdout
    assert (
        help_text.startswith("사용법: facility") and "웹 앱과 API 실행" in help_text and "run the web" not in help_text
    )
    assert "show this help" in run_cli("--lang", "en", "db", "--help", data_dir=tmp_path).stdout
