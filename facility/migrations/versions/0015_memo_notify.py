"""Writes to the memoised tables are announced (`NOTIFY facility_memo, '<table>'`), so every web
worker drops its memo of them at once (core/memo.py). PostgreSQL only; SQLite has no triggers of
this kind and keeps the memos' time limits.

Revision ID: 0015_memo_notify
Revises: 0014_signup_consent
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015_memo_notify"
down_revision: str | Sequence[str] | None = "0014_signup_consent"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As core/memo.py's NOTIFIED_TABLES stood at this revision (a migration keeps its own copy).
TABLES = (
    "user_account",
    "organization",
    "organization_quota",
    "room",
    "opening_hours",
    "institute_closure",
    "fee_schedule",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # One notification per statement, delivered when the transaction commits; PostgreSQL folds
    # identical ones of one transaction into one, and a rolled-back write sends none.
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


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER facility_memo_notify ON {table}")
    op.execute("DROP FUNCTION facility_memo_notify()")
