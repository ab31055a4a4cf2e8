"""The migrations are the schema: they must build what the models declare, on both databases,
and step back down cleanly (an operator's way out of a bad release)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, text
from sqlmodel import SQLModel

from facility.core.db import alembic_config, get_engine, upgrade_database
from tests.conftest import PG_ADMIN_URL

# Alembic cannot reflect or compare expression indexes; test_claims checks this one is used.
EXPRESSION_INDEXES = {"ix_space_claim_long", "ix_booking_long"}


def _comparable(obj: Any, name: str | None, type_: str, _reflected: bool, _compare_to: Any) -> bool:
    return not (type_ == "index" and name in EXPRESSION_INDEXES)


@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_models_match_the_migrated_schema(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": _comparable})
        assert compare_metadata(context, SQLModel.metadata) == []


def _round_trip(url: str) -> None:
    upgrade_database(url)
    config = alembic_config(url)
    command.downgrade(config, "base")
    engine = get_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    command.upgrade(config, "head")
    assert set(SQLModel.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_downgrade_to_nothing_and_up_again_on_sqlite(tmp_path: Path) -> None:
    _round_trip(f"sqlite:///{tmp_path / 'round-trip.db'}")


def test_downgrade_to_nothing_and_up_again_on_postgresql() -> None:
    name = f"facility_migrate_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        _round_trip(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_the_migrations_have_one_head(tmp_path: Path) -> None:
    # Two helpers' migrations on one parent would leave two heads: re-chain onto main's head.
    script = ScriptDirectory.from_config(alembic_config(f"sqlite:///{tmp_path / 'heads.db'}"))
    assert len(script.get_heads()) == 1, script.get_heads()
