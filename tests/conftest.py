"""Shared fixtures: every database test runs on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from facility.app import create_app
from facility.core.config import Settings, install, using
from facility.core.db import get_engine, upgrade_database
from facility.domains import import_all_models
from facility.sensors.store.influx import InfluxV1Store
from tests.concurrent import RACES_ON_POSTGRESQL, THREADS
from tests.keys import TEST_SECRET_KEY
from tests.sensors.services import Influxd, Mosquitto

# What a process installs at start; tests without the `settings` fixture use the defaults.
install(Settings(secret_key=TEST_SECRET_KEY))
PG_ADMIN_URL = os.environ.get("FACILITY_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path) -> Iterator[dict[str, str]]:
    """One migrated SQLite file and one fresh PostgreSQL database for the whole run."""
    import_all_models()
    sqlite_url = copy_sqlite(migrated_sqlite, tmp_path_factory.mktemp("db") / "facility.db")
    name = f"facility_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    pg_url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    upgrade_database(pg_url)
    yield {"sqlite": sqlite_url, "postgresql": pg_url}
    get_engine(pg_url).dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


SMALL_TABLE = 500  # rows


def clean_database(engine: Engine) -> None:
    """Empty every table, so each test starts from a blank but migrated schema."""
    # The read model's version only ever grows (core/memo.py): memos kept by earlier tests
    # are voided by the triggers this emptying fires, not by a counter set back.
    tables = [t.name for t in SQLModel.metadata.sorted_tables if t.name != "read_model_version"]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # TRUNCATE gives every table it empties new files, synced at commit: seconds for the
            # hundred tables on a busy disk. When the tables hold a few rows, only those holding
            # rows are emptied, children first (a big table is faster truncated: the demo's), and
            # every used sequence of these tables starts again: the state TRUNCATE ... RESTART
            # IDENTITY leaves, with the same triggers fired for the rows.
            probe = " UNION ALL ".join(
                f'SELECT {i}, count(*) FROM (SELECT 1 FROM "{table}" LIMIT {SMALL_TABLE}) AS t{i} HAVING count(*) > 0'
                for i, table in enumerate(tables)
            )
            holding = dict(connection.execute(text(probe)).tuples().all())
            if any(rows >= SMALL_TABLE for rows in holding.values()):
                quoted = ", ".join(f'"{t}"' for t in tables)
                connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
                return
            for i in sorted(holding, reverse=True):
                connection.execute(text(f'DELETE FROM "{tables[i]}"'))
            used = connection.execute(
                text(
                    "SELECT s.oid::regclass::text FROM pg_class s"
                    " JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid"
                    " AND d.deptype IN ('a', 'i')"
                    " JOIN pg_class t ON t.oid = d.refobjid"
                    " WHERE s.relkind = 'S' AND t.relname = ANY(:tables)"
                    " AND CASE WHEN s.relkind = 'S' THEN pg_sequence_last_value(s.oid) IS NOT NULL END"
                ),
                {"tables": tables},
            ).scalars()
            for sequence in used:
                connection.execute(text(f"ALTER SEQUENCE {sequence} RESTART"))
        else:
            for table in reversed(tables):
                connection.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, database_urls: dict[str, str]) -> str:
    url = database_urls[request.param]
    clean_database(get_engine(url))
    return url


@pytest.fixture
def fresh_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A database of the same kind as `db_url` that nothing has touched, not even migrations."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"facility_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    get_engine(url).dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Engine:
    return get_engine(db_url)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Iterator[Settings]:
    """The test's tree, active for services the test calls directly (an app sets its own per request)."""
    with using(Settings(database_url=db_url, data_dir=tmp_path, secret_key=TEST_SECRET_KEY)) as settings:
        yield settings


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


# --- a real influxd (one per run) and a real Mosquitto (one per test) on free loopback ports ---


@pytest.fixture(scope="session")
def influxd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Influxd]:
    server = Influxd(tmp_path_factory.mktemp("influxd"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def influx_store(influxd: Influxd) -> Iterator[InfluxV1Store]:
    """A v1 store on a fresh database of the shared server."""
    name = f"t_{uuid.uuid4().hex[:10]}"
    store = InfluxV1Store(influxd.url, name, retention_days=7, rollup_days=30)
    yield store
    store.close()
    influxd.drop_database(name)


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    broker = Mosquitto(tmp_path / "mosquitto")
    broker.start()
    yield broker
    broker.stop()


# --- a live server and headless Chromium, for browser tests ---------------------------------

CHROMIUM = "/usr/bin/chromium"
SCREENSHOT_DIR = Path(os.environ.get("FACILITY_SCREENSHOTS", "screenshots"))
TABLET_VIEWPORT = {"width": 1280, "height": 800}  # a 10-inch tablet in landscape
DESKTOP_VIEWPORT = {"width": 1280, "height": 900}


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per process, which fresh test databases copy: the migrations
    commit hundreds of DDL statements, each synced to disk, seconds on a busy machine."""
    path = tmp_path_factory.mktemp("migrated") / "facility.db"
    upgrade_database(f"sqlite:///{path}")
    return path


def copy_sqlite(source: Path, target: Path) -> str:
    """A copy of a SQLite database (SQLite's online backup: whole, whatever its journal); its URL."""
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(source)) as original, closing(sqlite3.connect(target)) as copy:
        original.backup(copy)
    return f"sqlite:///{target}"


@pytest.fixture(scope="session")
def cli_upgraded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SQLite file `facility db upgrade` leaves (migrated, default content seeded), typed once
    per process; tests of the other commands start from a copy (test_cli.py upgrades its own)."""
    from tests.test_cli import run_cli

    folder = tmp_path_factory.mktemp("cli-upgraded")
    upgraded = run_cli("db", "upgrade", data_dir=folder, timeout=300)
    assert upgraded.returncode == 0, upgraded.stderr
    return folder / "facility.db"


@pytest.fixture
def upgraded_dir(tmp_path: Path, cli_upgraded: Path) -> Path:
    """A data folder holding a copy of the database `facility db upgrade` leaves."""
    copy_sqlite(cli_upgraded, tmp_path / "facility.db")
    return tmp_path


@pytest.fixture
def live_settings(tmp_path: Path, migrated_sqlite: Path) -> Settings:
    """A fresh, migrated SQLite database for one browser test."""
    url = copy_sqlite(migrated_sqlite, tmp_path / "live.db")
    return Settings(database_url=url, data_dir=tmp_path, secret_key=TEST_SECRET_KEY)


@contextmanager
def serve_app(settings: Settings) -> Iterator[str]:
    """The real app served by uvicorn in a thread on a free loopback port; yields its base URL."""
    import threading
    import time

    import uvicorn

    app = create_app(settings)
    port = free_port()
    # E-mailed links are absolute under FACILITY_BASE_URL: make them point at this server.
    settings.base_url = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(
        # Access lines land in the captured log, shown only when a test fails.
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="info")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("live server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_server(live_settings: Settings) -> Iterator[str]:
    """The app over a fresh SQLite database, for browser tests."""
    with serve_app(live_settings) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is missing; .ci/run installs it")
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport=TABLET_VIEWPORT, locale="ko-KR", timezone_id="Asia/Seoul")  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def screenshot(page: object, name: str) -> Path:
    """Save a full-page screenshot under screenshots/ for a person to look at."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path


@pytest.fixture
def raced(settings: Settings) -> Iterator[str]:
    """The app served for a race on PostgreSQL: THREADS worker threads (the racers are three times
    as many) and a request limit below them, so shedding with 503 is part of what is raced."""
    if settings.database_url.startswith("sqlite"):
        pytest.skip(RACES_ON_POSTGRESQL)
    limits = {"worker_threads": THREADS, "max_concurrent_requests": THREADS - 2}
    with serve_app(settings.model_copy(update=limits)) as url:
        yield url
