"""Shared fixtures: every database test runs on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from facility.app import create_app
from facility.core.config import Settings
from facility.core.db import get_engine, upgrade_database
from facility.domains import import_all_models

PG_ADMIN_URL = os.environ.get(
    "FACILITY_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One migrated SQLite file and one fresh PostgreSQL database for the whole run."""
    import_all_models()
    sqlite_url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'facility.db'}"
    name = f"facility_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    pg_url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    upgrade_database(sqlite_url)
    upgrade_database(pg_url)
    yield {"sqlite": sqlite_url, "postgresql": pg_url}
    get_engine(pg_url).dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def clean_database(engine: Engine) -> None:
    """Empty every table, so each test starts from a blank but migrated schema."""
    tables = [t.name for t in SQLModel.metadata.sorted_tables]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            quoted = ", ".join(f'"{t}"' for t in tables)
            connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                connection.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, database_urls: dict[str, str]) -> str:
    url = database_urls[request.param]
    clean_database(get_engine(url))
    return url


@pytest.fixture
def engine(db_url: str) -> Engine:
    return get_engine(db_url)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=db_url, data_dir=tmp_path, secret_key="test-secret-key")


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client
