"""Alembic environment: the URL comes from facility's settings or the caller's config."""

from __future__ import annotations

import warnings

from alembic import context
from sqlalchemy import engine_from_config, pool
from sqlmodel import SQLModel

from facility.domains import import_all_models

import_all_models()
# SQLite's batch mode reflects the tables a rebuilt table refers to; their expression indexes
# (ix_booking_long, ix_space_claim_long) cannot be reflected and need not be: they are not rebuilt.
warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
config = context.config
target_metadata = SQLModel.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
