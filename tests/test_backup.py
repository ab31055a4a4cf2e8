"""`facility backup` and `facility restore` against the real databases and a real influxd."""

from __future__ import annotations

import base64
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from alembic import command
from sqlalchemy import text
from sqlmodel import Session

from facility.backup import BackupError, make_backup, manifest_signature, sha256_of, signing_key, table_counts
from facility.cli import build_parser
from facility.core.config import Settings, load_settings
from facility.core.db import alembic_config, get_engine
from facility.core.i18n import current_language
from facility.core.memo import read_version
from facility.core.models import Role
from facility.maintenance.photos import store_photo
from facility.restore import restore_backup
from facility.sensors.parsing import Reading
from facility.sensors.store.influx import InfluxV1Store
from facility.sensors.store.sql import SqlStore
from tests.factories import make_room, make_user
from tests.sensors.services import Influxd

NOW = datetime.now(UTC).replace(microsecond=0)
PNG = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n fake pixels").decode()


def readings(device: str = "강당 센서 1", n: int = 5) -> list[Reading]:
    return [
        Reading(device, "main", "A-101", "temperature", 20.5 + i, NOW - timedelta(minutes=10 * i)) for i in range(n)
    ]


def resign(backup: Path, manifest: dict[str, object], settings: Settings) -> None:
    """Write the manifest back, signed as a holder of the key would (the checks behind the
    signature must hold on their own)."""
    manifest["signature"] = manifest_signature(manifest, signing_key(settings))
    (backup / "manifest.json").write_text(json.dumps(manifest))


def counts(url: str) -> dict[str, int]:
    with get_engine(url).connect() as connection:
        return table_counts(connection)


def test_backup_restores_into_a_fresh_database_with_every_count(
    db_url: str, fresh_url: str, settings: Settings, tmp_path: Path
) -> None:
    with Session(get_engine(db_url)) as session:
        crew = make_user(session, role=Role.crew)
        make_room(session)
        store_photo(session, PNG, uploaded_by=crew.id)
        session.commit()
    SqlStore(get_engine(db_url)).write(readings())
    manifest = make_backup(settings, tmp_path / "backup")
    assert manifest["photos"]["count"] == 1 and manifest["readings"] == {"store": "sql", "count": 5}
    assert manifest["versions"]["alembic"] and manifest["tables"]["user_account"] == 1

    with get_engine(db_url).connect() as connection:
        before = read_version(connection)
    target = settings.model_copy(update={"database_url": fresh_url})
    compared, notes = restore_backup(target, tmp_path / "backup")
    assert all(line.ok for line in compared) and notes == []
    assert counts(fresh_url) == counts(db_url)
    # Workers that read the source's version keep no memo of it: the restored version is newer.
    with get_engine(fresh_url).connect() as connection:
        assert read_version(connection) > before
    with get_engine(fresh_url).connect() as connection:
        photo = connection.execute(text("SELECT data FROM mnt_photo")).scalar_one()
    assert photo.startswith(b"\x89PNG")

    with pytest.raises(BackupError, match="비어 있지 않습니다"):
        restore_backup(target, tmp_path / "backup")
    compared, _notes = restore_backup(target, tmp_path / "backup", force=True)
    assert all(line.ok for line in compared) and counts(fresh_url) == counts(db_url)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_influx_readings_round_trip_through_line_protocol(
    db_url: str, fresh_url: str, settings: Settings, influx_store: InfluxV1Store, influxd: Influxd, tmp_path: Path
) -> None:
    influx_store.write(readings() + readings("co2,room=1", 3))
    # A policy beside the default one, as the rollup query fills it.
    rollup = f"reading,device=rolled,metric=temperature value=19.25 {int((NOW - timedelta(days=3)).timestamp())}"
    httpx.post(
        f"{influxd.url}/write", params={"db": influx_store.database, "rp": "rollup", "precision": "s"}, content=rollup
    ).raise_for_status()
    source = settings.model_copy(update={"influx_url": influxd.url, "influx_db": influx_store.database})
    manifest = make_backup(source, tmp_path / "backup")
    assert manifest["readings"]["policies"] == {"autogen": 0, "raw": 8, "rollup": 1}

    copy_db = f"t_{uuid.uuid4().hex[:10]}"
    target = source.model_copy(update={"database_url": fresh_url, "influx_db": copy_db})
    try:
        compared, _notes = restore_backup(target, tmp_path / "backup")
        restored = InfluxV1Store(influxd.url, copy_db)
        points = restored.series(["강당 센서 1"], "temperature", NOW - timedelta(hours=1), NOW + timedelta(1), None)
        assert [p.value for p in points] == [r.value for r in reversed(readings())]
        assert restored.count(["co2,room=1"]) == 3
        rolled = restored.series(["rolled"], "temperature", NOW - timedelta(days=4), NOW, None, policy="rollup")
        assert [p.value for p in rolled] == [19.25]
        restored.close()
    finally:
        influxd.drop_database(copy_db)
    assert {line.name: (line.expected, line.restored) for line in compared if "readings" in line.name} == {
        "readings (autogen)": (0, 0),
        "readings (raw)": (8, 8),
        "readings (rollup)": (1, 1),
    }


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_damaged_backup_is_refused_before_anything_is_written(
    db_url: str, fresh_url: str, settings: Settings, tmp_path: Path
) -> None:
    backup = tmp_path / "backup"
    make_backup(settings, backup)
    target = settings.model_copy(update={"database_url": fresh_url})
    (backup / "database.sqlite").write_bytes(b"not a database")
    with pytest.raises(BackupError, match="체크섬"):
        restore_backup(target, backup)
    manifest = json.loads((backup / "manifest.json").read_text())
    manifest["versions"]["alembic"] = ["9999_from_the_future"]
    manifest["files"]["database.sqlite"] = sha256_of(backup / "database.sqlite")
    resign(backup, manifest, settings)
    with pytest.raises(BackupError, match="9999_from_the_future"):
        restore_backup(target, backup)
    assert not Path(fresh_url.removeprefix("sqlite:///")).exists()

    with pytest.raises(BackupError, match="manifest.json 파일이 없습니다"):
        restore_backup(target, tmp_path / "nowhere")

    (backup / "manifest.json").write_text('{"format": 1, "tables": ')
    env = {**os.environ, "FACILITY_DATABASE_URL": fresh_url, "FACILITY_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "facility.cli", "--lang", "en", "restore", str(backup)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "manifest.json is damaged: it is not valid JSON" in result.stderr


def test_cli_prints_the_comparison(
    db_url: str, fresh_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with Session(get_engine(db_url)) as session:
        make_room(session)
    monkeypatch.setenv("FACILITY_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("FACILITY_INFLUX_URL", raising=False)
    language = current_language.set("en")
    try:
        for url, argv in ((db_url, ["backup", str(tmp_path / "b")]), (fresh_url, ["restore", str(tmp_path / "b")])):
            monkeypatch.setenv("FACILITY_DATABASE_URL", url)
            args = build_parser().parse_args(argv)
            args.settings = load_settings()
            args.func(args)
    finally:
        current_language.reset(language)
    out = capsys.readouterr().out
    assert "backup written to" in out and "every count matches" in out
    assert any(line.split() == ["room", "1", "1"] for line in out.splitlines()), out


@pytest.fixture
def sqlite_backup(db_url: str, settings: Settings, tmp_path: Path) -> Path:
    with Session(get_engine(db_url)) as session:
        make_user(session, role=Role.admin)
        session.commit()
    make_backup(settings, tmp_path / "backup")
    return tmp_path / "backup"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_backup_is_private(sqlite_backup: Path) -> None:
    assert sqlite_backup.stat().st_mode & 0o777 == 0o700
    assert {path.name: path.stat().st_mode & 0o777 for path in sqlite_backup.iterdir()} == {
        "database.sqlite": 0o600,
        "manifest.json": 0o600,
    }


def refused(settings: Settings, fresh_url: str, backup: Path, match: str) -> None:
    target = settings.model_copy(update={"database_url": fresh_url})
    with pytest.raises(BackupError, match=match):
        restore_backup(target, backup)
    assert not Path(fresh_url.removeprefix("sqlite:///")).exists()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_tampered_dump_with_an_emptied_files_map_is_refused(
    sqlite_backup: Path, settings: Settings, fresh_url: str
) -> None:
    """The attack of the report: an admin injected into the dump, the checksums dropped."""
    copy = sqlite3.connect(sqlite_backup / "database.sqlite")
    copy.execute("UPDATE user_account SET email = 'intruder@example.kr'")
    copy.commit()
    copy.close()
    manifest = json.loads((sqlite_backup / "manifest.json").read_text())
    manifest["files"] = {}
    (sqlite_backup / "manifest.json").write_text(json.dumps(manifest))
    refused(settings, fresh_url, sqlite_backup, "서명")  # the signature no longer matches
    resign(sqlite_backup, manifest, settings)
    refused(settings, fresh_url, sqlite_backup, "database.sqlite")  # not listed
    manifest["files"] = {"database.sqlite": "0" * 64}
    resign(sqlite_backup, manifest, settings)
    refused(settings, fresh_url, sqlite_backup, "체크섬")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("name", ["../elsewhere/x.sqlite", "/etc/passwd", "sub/x.sqlite", ".."])
def test_a_file_outside_the_backup_directory_is_refused(
    sqlite_backup: Path, settings: Settings, fresh_url: str, name: str
) -> None:
    elsewhere = sqlite_backup.parent / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(sqlite_backup / "database.sqlite", elsewhere / "x.sqlite")
    manifest = json.loads((sqlite_backup / "manifest.json").read_text())
    manifest["database"]["file"] = name
    manifest["files"][name] = manifest["files"]["database.sqlite"]
    resign(sqlite_backup, manifest, settings)
    refused(settings, fresh_url, sqlite_backup, "파일 이름이 아닙니다")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_unsigned_or_foreign_manifest_is_refused(sqlite_backup: Path, settings: Settings, fresh_url: str) -> None:
    manifest = json.loads((sqlite_backup / "manifest.json").read_text())
    other = settings.model_copy(update={"secret_key": "another-installation"})
    refused(other, fresh_url, sqlite_backup, "서명")
    del manifest["signature"]
    (sqlite_backup / "manifest.json").write_text(json.dumps(manifest))
    refused(settings, fresh_url, sqlite_backup, "signature")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_backup_open_to_other_users_is_refused(sqlite_backup: Path, settings: Settings, fresh_url: str) -> None:
    (sqlite_backup / "database.sqlite").chmod(0o644)
    refused(settings, fresh_url, sqlite_backup, "chmod 700")
    (sqlite_backup / "database.sqlite").chmod(0o600)
    sqlite_backup.chmod(0o755)
    refused(settings, fresh_url, sqlite_backup, "chmod 700")
    sqlite_backup.chmod(0o700)
    target = settings.model_copy(update={"database_url": fresh_url})
    compared, _notes = restore_backup(target, sqlite_backup)
    assert all(line.ok for line in compared)


def test_a_backup_of_an_older_schema_records_its_revision(fresh_url: str, settings: Settings, tmp_path: Path) -> None:
    """There must be a backup before `db upgrade`: the new code backs up the schema it finds."""
    command.upgrade(alembic_config(fresh_url), "0012_device_profile")
    old = settings.model_copy(update={"database_url": fresh_url})
    manifest = make_backup(old, tmp_path / "backup")
    assert manifest["versions"]["alembic"] == ["0012_device_profile"]
    assert "user_account" in manifest["tables"] and "mnt_assignment_rule" not in manifest["tables"]
