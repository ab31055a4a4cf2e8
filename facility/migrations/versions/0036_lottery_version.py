"""Open lotteries join the committed read model (core/memo.py): every renter's request asks
whether its slot is drawn by lot, so writes to `lottery` bump the read model's version too.

The counter also moves past the clock in microseconds, as `memo.advance_past` does after a restore:
a database dropped and made again at the same address then never numbers its versions below what
a running process has already seen of the old one (a screen presumes the newest version it saw).

Revision ID: 0036_lottery_version
Revises: 0035_rental2
"""

import time
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0036_lottery_version"
down_revision: str | Sequence[str] | None = "0035_rental2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "lottery"
# As 0019 bumps it.
BUMP = (
    "INSERT INTO read_model_version (id, version) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET version = read_model_version.version + 1"
)


def upgrade() -> None:
    op.get_bind().execute(
        sa.text("UPDATE read_model_version SET version = :now WHERE id = 1 AND version < :now"),
        {"now": time.time_ns() // 1000},
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE TRIGGER facility_read_model_bump BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON {TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION facility_read_model_bump()"
        )
        return
    for verb in ("INSERT", "UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER read_model_bump_{TABLE}_{verb.lower()} AFTER {verb} ON {TABLE} BEGIN {BUMP}; END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER facility_read_model_bump ON {TABLE}")
        return
    for verb in ("INSERT", "UPDATE", "DELETE"):
        op.execute(f"DROP TRIGGER read_model_bump_{TABLE}_{verb.lower()}")
