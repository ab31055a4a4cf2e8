"""The commands a newcomer and an operator type, run as real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from facility.core import security
from facility.core.db import get_engine
from tests.conftest import free_port


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
