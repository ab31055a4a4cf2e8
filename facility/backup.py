"""`facility backup DIR`: the database, the reading store and a manifest, in one new directory.

What a backup holds, and why so:
- the database: `pg_dump --format=custom` for PostgreSQL (restored by `pg_restore` into any
  database, owner-free), SQLite's online backup API for SQLite (a consistent copy while the app
  runs). Photos and signatures are rows of `mnt_photo` (see facility/maintenance/models.py), so
  they come with the database; the manifest counts them on their own. The SQL reading table
  (the embedded store) comes with the database too.
- InfluxDB 1.x readings: exported through the HTTP API into line protocol, one gzip file per
  retention policy (facility/sensors/store/dump.py says why not `influxd backup`). A 2.x/3.x
  store is left to its own `influx backup`; the manifest says it was not included.
- `manifest.json`: rows per table, readings per policy, photos, the schema revision found (a
  backup works on whatever schema the database is at, so there is one before `db upgrade`), the
  versions that made it, when, and each file's SHA-256, signed with HMAC-SHA256 under a key
  derived from the secret key, so a restore can refuse a damaged, altered or foreign backup
  before it touches anything (facility/restore.py).
- Private: the directory is 0700 and every file 0600 (the dump holds password hashes and
  renters' personal data).
Not copied: the generated secret key in the data directory (production sets FACILITY_SECRET_KEY)
and the gateway's spool (transient: it drains into the store within seconds).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import SQLModel

from facility.core.config import Settings
from facility.core.db import engine_for
from facility.core.i18n import gettext as _
from facility.domains import import_all_models
from facility.maintenance.models import Photo
from facility.sensors.store import StoreUnavailable, open_store
from facility.sensors.store.dump import export_database, policy_file
from facility.sensors.store.influx import InfluxV1Store

MANIFEST = "manifest.json"
# Bumped when the layout changes in a way an older restore could not read.
FORMAT = 1
PG_DUMP_FILE, SQLITE_FILE = "database.pgdump", "database.sqlite"
# pg_dump of a campus database takes seconds; an hour means something is stuck.
DUMP_TIMEOUT_S = 3600


class BackupError(Exception):
    """A backup or restore cannot go on; the message is one line saying why and what to do."""


# What stops a backup or a restore with one line rather than a traceback: our own refusals, an
# unreachable or refusing database, an unreachable InfluxDB, a directory that cannot be written.
FAILURES = (BackupError, SQLAlchemyError, StoreUnavailable, OSError)


def first_line(error: BaseException) -> str:
    """The driver's own message when there is one (psycopg's, not SQLAlchemy's wrapper)."""
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def signing_key(settings: Settings) -> bytes:
    """The manifest's HMAC key: derived from the secret key, so restoring on another host needs
    the same FACILITY_SECRET_KEY (which its sessions need anyway)."""
    return hashlib.sha256(b"facility-backup-manifest\0" + settings.resolved_secret_key().encode()).digest()


def manifest_signature(manifest: dict[str, Any], key: bytes) -> str:
    """HMAC-SHA256 of the manifest without its signature, in one canonical JSON spelling."""
    body = {name: value for name, value in manifest.items() if name != "signature"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hmac.new(key, canonical, hashlib.sha256).hexdigest()


def table_counts(connection: Connection) -> dict[str, int]:
    """Rows of every table the code knows that the database has (an older schema lacks some)."""
    import_all_models()
    present = set(inspect(connection).get_table_names())
    return {
        table.name: int(connection.execute(select(func.count()).select_from(table)).scalar_one())
        for table in SQLModel.metadata.sorted_tables
        if table.name in present
    }


def photo_counts(connection: Connection) -> dict[str, int]:
    if not inspect(connection).has_table(Photo.__tablename__):
        return {"count": 0, "bytes": 0}
    size = func.coalesce(func.sum(func.length(Photo.data)), 0)  # type: ignore[arg-type]
    count, total = connection.execute(select(func.count(), size).select_from(Photo)).one()
    return {"count": int(count), "bytes": int(total)}


def schema_revision(engine: Engine) -> list[str]:
    """The database's alembic heads (one, on a schema at rest)."""
    with engine.connect() as connection:
        return sorted(MigrationContext.configure(connection).get_current_heads())


def libpq_target(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without its password, and the environment that carries the password instead
    (a password on a command line is visible to every user of the host)."""
    parsed = make_url(url)
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    bare = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return bare, env


def run_tool(args: list[str], env: dict[str, str]) -> None:
    """Run pg_dump or pg_restore; its last error line becomes a BackupError."""
    if shutil.which(args[0]) is None:
        raise BackupError(_("{tool} is not installed: install the PostgreSQL client tools.", tool=args[0]))
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=DUMP_TIMEOUT_S)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        raise BackupError(_("{tool} failed: {error}", tool=args[0], error=last))


def dump_database(engine: Engine, directory: Path) -> tuple[str, dict[str, int], dict[str, int]]:
    """Copy the database into the directory; returns the file's name, and the rows per table and
    the photos counted in exactly the state the copy holds, while the app goes on writing."""
    if engine.dialect.name == "postgresql":
        target, env = libpq_target(engine.url.render_as_string(hide_password=False))
        path = directory / PG_DUMP_FILE
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
            # pg_dump reads the snapshot this transaction counted in.
            snapshot = str(connection.execute(text("SELECT pg_export_snapshot()")).scalar_one())
            tables, photos = table_counts(connection), photo_counts(connection)
            run_tool(
                ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}"]
                + [f"--file={path}", target],
                env,
            )
            connection.rollback()
        return PG_DUMP_FILE, tables, photos
    source = sqlite3.connect(str(engine.url.database))
    copy = sqlite3.connect(str(directory / SQLITE_FILE))
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    copied = create_engine(f"sqlite:///{directory / SQLITE_FILE}")
    try:
        with copied.connect() as connection:
            return SQLITE_FILE, table_counts(connection), photo_counts(connection)
    finally:
        copied.dispose()


def _server_version(engine: Engine) -> str:
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            return str(connection.execute(text("SHOW server_version")).scalar_one())
        return "SQLite " + str(connection.execute(text("SELECT sqlite_version()")).scalar_one())


def _readings(settings: Settings, directory: Path, tables: dict[str, int]) -> dict[str, Any]:
    if not settings.influx_url:
        return {"store": "sql", "count": tables.get("sensor_reading", 0)}
    store = open_store(settings)
    try:
        if not isinstance(store, InfluxV1Store):
            return {"store": "influxdb-v2", "included": False}
        exported = export_database(store, directory)
    finally:
        store.close()
    files = {policy: policy_file(directory, policy).name for policy in exported}
    return {"store": "influxdb-v1", "count": sum(exported.values()), "policies": exported, "files": files}


def make_backup(settings: Settings, directory: Path) -> dict[str, Any]:
    """Write a complete backup into `directory` (new or empty); returns its manifest."""
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(_("{path} is not empty: give each backup a new directory.", path=directory))
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    engine = engine_for(settings)
    revision = schema_revision(engine)
    if not revision:
        raise BackupError(_("The database has no schema yet: there is nothing to back up."))
    database_file, tables, photos = dump_database(engine, directory)
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": {"facility": version("facility"), "alembic": revision, "database": _server_version(engine)},
        "database": {"dialect": engine.dialect.name, "file": database_file},
        "tables": tables,
        "readings": _readings(settings, directory, tables),
        "photos": photos,
    }
    for path in directory.iterdir():
        path.chmod(0o600)
    manifest["files"] = {path.name: sha256_of(path) for path in sorted(directory.iterdir()) if path.name != MANIFEST}
    manifest["signature"] = manifest_signature(manifest, signing_key(settings))
    path = directory / MANIFEST
    path.touch(mode=0o600)
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return manifest
