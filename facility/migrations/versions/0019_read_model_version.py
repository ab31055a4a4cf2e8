"""One version for the committed read model (core/memo.py): a counter row that a trigger on each
memoised table bumps inside the writing transaction, replacing 0015's NOTIFY per table.

Revision ID: 0019_read_model_version
Revises: 0018_atomic_limits
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_read_model_version"
down_revision: str | Sequence[str] | None = "0018_atomic_limits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As core/memo.py's VERSIONED_TABLES stood at this revision (a migration keeps its own copy).
TABLES = (
    "user_account",
    "organization",
    "organization_quota",
    "room",
    "opening_hours",
    "institute_closure",
    "fee_schedule",
)
# An upsert, so a lost row comes back rather than leaving every memo unversioned.
BUMP = (
    "INSERT INTO read_model_version (id, version) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET version = read_model_version.version + 1"
)


def upgrade() -> None:
    op.create_table(
        "read_model_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO read_model_version (id, version) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER facility_memo_notify ON {table}")
        op.execute("DROP FUNCTION facility_memo_notify()")
        # Before the statement: every writer of these tables takes the counter's row lock first,
        # so two writers cannot each hold a table row the other waits for.
        op.execute(
            f"""
            CREATE FUNCTION facility_read_model_bump() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                {BUMP};
                RETURN NULL;
            END $$
            """
        )
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER facility_read_model_bump BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION facility_read_model_bump()"
            )
        return
    # SQLite has row triggers only: one bump per row written.
    for table in TABLES:
        for verb in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER read_model_bump_{table}_{verb.lower()} AFTER {verb} ON {table} BEGIN {BUMP}; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER facility_read_model_bump ON {table}")
        op.execute("DROP FUNCTION facility_read_model_bump()")
        op.execute(
            """
            CREATE FUNCTION facility_memo_notify() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('facility_memo', TG_TABLE_NAME);
                RETURN NULL;
            END $$
            """
        )
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER facility_memo_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION facility_memo_notify()"
            )
    else:
        for table in TABLES:
            for verb in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER read_model_bump_{table}_{verb}")
    op.drop_table("read_model_version")
