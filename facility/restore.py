"""`facility restore DIR`: a backup of `facility backup` into the configured database and store.

Everything that can refuse is checked before anything is written: the manifest's signature (HMAC
under the secret key, so an altered manifest is refused), that the backup is private (0700
directory, 0600 files), that every file in the directory is listed with a matching checksum and
every file the manifest uses is one of them (a name, never a path), the schema revision must be
one this code knows, the backup's database kind must match the target's, and the target must be
empty (no tables, no readings) unless `--force` says to replace it. A backup from an older
revision is migrated to head afterwards. The result compares the manifest's counts with what the
target now holds.
"""

from __future__ import annotations

import hmac
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from facility.backup import (
    FORMAT,
    MANIFEST,
    BackupError,
    libpq_target,
    manifest_signature,
    photo_counts,
    run_tool,
    schema_revision,
    sha256_of,
    signing_key,
    table_counts,
)
from facility.core import memo
from facility.core.config import Settings
from facility.core.db import alembic_config, engine_for, upgrade_database
from facility.core.i18n import gettext as _
from facility.sensors.store import open_store
from facility.sensors.store.dump import count_points, drop_database, import_policy, policies
from facility.sensors.store.influx import InfluxV1Store

REQUIRED = ("format", "versions", "database", "tables", "readings", "photos", "files", "signature")


@dataclass(frozen=True)
class Compared:
    """One line of the comparison: what the backup counted, and what the target holds now."""

    name: str
    expected: int
    restored: int

    @property
    def ok(self) -> bool:
        return self.expected == self.restored


def check_private(directory: Path) -> None:
    """Refuse a backup that other users of the host could read or change."""
    for path in (directory, *sorted(directory.iterdir())):
        if path.stat().st_mode & 0o077:
            raise BackupError(
                _(
                    "{path} is open to other users: a backup must be private "
                    "(chmod 700 on the directory, 600 on its files).",
                    path=path,
                )
            )


def used_files(manifest: dict[str, Any]) -> list[str]:
    """Every file name the restore will read: the database, and each policy's readings."""
    return [manifest["database"].get("file"), *manifest["readings"].get("files", {}).values()]


def check_files(directory: Path, manifest: dict[str, Any]) -> None:
    """The files map lists exactly the directory's files, each a plain name with its checksum."""
    files = manifest["files"]
    present = {path.name for path in directory.iterdir() if path.name != MANIFEST}
    for name in [*files, *used_files(manifest)]:
        if not isinstance(name, str) or name in ("", ".", "..") or Path(name).name != name:
            raise BackupError(_("{name} is not a file name in the backup directory: refused.", name=name))
    unlisted = sorted(present - set(files))
    if unlisted:
        raise BackupError(_("{names} are not listed in the manifest: refused.", names=", ".join(unlisted)))
    for name in [*sorted(files), *used_files(manifest)]:
        file = directory / name
        if name not in files or not file.is_file():
            raise BackupError(_("{path} is missing from the backup.", path=file))
        if sha256_of(file) != files[name]:
            raise BackupError(_("{path} does not match its checksum: the backup is damaged.", path=file))


def read_manifest(directory: Path, key: bytes) -> dict[str, Any]:
    """The backup's manifest, signed with `key`, private, with every file it names present and
    intact; else a BackupError."""
    path = directory / MANIFEST
    if not path.is_file():
        raise BackupError(_("{path} is missing: this is not a facility backup.", path=path))
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BackupError(_("{path} is damaged: it is not valid JSON ({error}).", path=path, error=error)) from None
    missing = [key for key in REQUIRED if not isinstance(manifest, dict) or key not in manifest]
    if missing:
        raise BackupError(_("{path} is damaged: it lacks {keys}.", path=path, keys=", ".join(missing)))
    if not hmac.compare_digest(str(manifest["signature"]), manifest_signature(manifest, key)):
        raise BackupError(
            _(
                "{path} is not signed with this installation's key: it was altered, or made with "
                "another FACILITY_SECRET_KEY.",
                path=path,
            )
        )
    if manifest["format"] != FORMAT:
        raise BackupError(
            _(
                "{path} has format {found}; this facility reads format {known}.",
                path=path,
                found=manifest["format"],
                known=FORMAT,
            )
        )
    check_private(directory)
    check_files(directory, manifest)
    return manifest


def check_revision(manifest: dict[str, Any]) -> None:
    """The backup's schema revision must be one of this code's migrations."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    for revision in manifest["versions"].get("alembic", []):
        try:
            known = script.get_revision(revision)
        except CommandError:
            known = None
        if known is None:
            raise BackupError(
                _(
                    "Schema revision {revision} is unknown here: install the version that made it ({version}).",
                    revision=revision,
                    version=manifest["versions"].get("facility", "?"),
                )
            )


def _influx_target(settings: Settings, manifest: dict[str, Any]) -> InfluxV1Store | None:
    if manifest["readings"].get("store") != "influxdb-v1":
        return None
    store = open_store(settings)
    if not isinstance(store, InfluxV1Store):
        store.close()
        raise BackupError(
            _("The backup holds InfluxDB 1.x readings: set FACILITY_INFLUX_URL (API v1) to restore them.")
        )
    return store


def _check_empty(engine: Engine, store: InfluxV1Store | None, *, force: bool) -> None:
    tables = inspect(engine).get_table_names()
    if tables and not force:
        raise BackupError(
            _(
                "The target database is not empty ({count} tables): use a new database, or --force to replace it.",
                count=len(tables),
            )
        )
    if store is not None and not force and any(count_points(store, p) for p in policies(store)):
        raise BackupError(
            _(
                "InfluxDB database {name} already holds readings: use a new one, or --force to replace it.",
                name=store.database,
            )
        )


def restore_database(engine: Engine, directory: Path, manifest: dict[str, Any], *, force: bool) -> None:
    """Replace the target's schema and rows with the backup's."""
    file = directory / manifest["database"]["file"]
    if engine.dialect.name == "postgresql":
        if force:
            with engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        target, env = libpq_target(engine.url.render_as_string(hide_password=False))
        run_tool(
            ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
            + [f"--dbname={target}", str(file)],
            env,
        )
        return
    engine.dispose()
    source, copy = sqlite3.connect(str(file)), sqlite3.connect(str(engine.url.database))
    try:
        # The backup API replaces every page of the target: a forced restore leaves nothing behind.
        source.backup(copy)
    finally:
        copy.close()
        source.close()


def restore_readings(store: InfluxV1Store, directory: Path, manifest: dict[str, Any], *, force: bool) -> list[Compared]:
    """Write the exported points back, policy by policy, after creating what the store needs."""
    if force and policies(store):
        drop_database(store)
    store.ensure_ready()
    have = set(policies(store))
    compared = []
    for policy, expected in manifest["readings"].get("policies", {}).items():
        if policy not in have:
            store.query(
                f'CREATE RETENTION POLICY "{policy}" ON "{store.database}" DURATION INF REPLICATION 1', method="POST"
            )
        _read, dropped = import_policy(store, policy, directory / manifest["readings"]["files"][policy])
        # Points older than the policy keeps are refused by the server; they count as expected-less.
        compared.append(Compared(f"readings ({policy})", int(expected) - dropped, count_points(store, policy)))
    return compared


def restore_backup(settings: Settings, directory: Path, *, force: bool = False) -> tuple[list[Compared], list[str]]:
    """Restore the backup in `directory`; returns the comparison and notes for the operator."""
    manifest = read_manifest(directory, signing_key(settings))
    check_revision(manifest)
    engine = engine_for(settings)
    dialect = manifest["database"].get("dialect")
    if dialect != engine.dialect.name:
        raise BackupError(
            _(
                "The backup holds a {kind} database, but FACILITY_DATABASE_URL names {target}.",
                kind=dialect,
                target=engine.dialect.name,
            )
        )
    store = _influx_target(settings, manifest)
    notes = []
    try:
        _check_empty(engine, store, force=force)
        restore_database(engine, directory, manifest, force=force)
        compared_readings = restore_readings(store, directory, manifest, force=force) if store else []
    finally:
        if store is not None:
            store.close()
    if manifest["readings"].get("included") is False:
        notes.append(
            _("The readings were in InfluxDB 2.x/3.x and are not in this backup: restore them with `influx restore`.")
        )
    # Migrate first: the code's tables (counted below) exist only at head.
    if schema_revision(engine) != sorted(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()):
        upgrade_database(settings.sqlalchemy_url)
        notes.append(_("The backup was at an older schema revision; the database is now migrated to the newest."))
    with engine.begin() as connection:
        # Running web workers keep memos by version: the restored counter must not look older.
        memo.advance_past(connection)
    with engine.connect() as connection:
        tables, photos = table_counts(connection), photo_counts(connection)
    compared = [Compared(name, int(count), tables.get(name, 0)) for name, count in manifest["tables"].items()]
    compared.append(Compared("photos", int(manifest["photos"]["count"]), photos["count"]))
    return compared + compared_readings, notes
