"""Alert -> work order is an invariant the database holds: each alert carries the moment
maintenance's job took it (`work_order_handled_at`) instead of a cursor by id that skipped alerts
committed out of id order, and a partial unique index allows one open work order per source.

Alerts up to the old cursor count as handled. Open work orders that already share a source (the
read-then-insert let racing requests make several) keep the oldest as the source's; the others
stay open with `#<id>` appended to their key.

Revision ID: 0017_alert_handled
Revises: 0016_outbox_lease
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import facility.core.db

revision: str = "0017_alert_handled"
down_revision: str | Sequence[str] | None = "0016_outbox_lease"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As maintenance's open statuses and the job's cursor row stood at this revision.
OPEN = "status IN ('open', 'assigned', 'in_progress', 'on_hold')"
OPEN_SOURCED = sa.text(f"source_key <> '' AND {OPEN}")
UNHANDLED = sa.text("work_order_handled_at IS NULL")
CURSOR_ROW = "maintenance.alerts.cursor"


def upgrade() -> None:
    with op.batch_alter_table("alert") as batch:
        batch.add_column(sa.Column("work_order_handled_at", facility.core.db.UTCDateTime(timezone=True), nullable=True))
    op.execute(
        sa.text(
            "UPDATE alert SET work_order_handled_at = raised_at "
            "WHERE id <= (SELECT cursor FROM scheduler_state WHERE name = :row)"
        ).bindparams(row=CURSOR_ROW)
    )
    op.execute(sa.text("DELETE FROM scheduler_state WHERE name = :row").bindparams(row=CURSOR_ROW))
    op.create_index("ix_alert_unhandled", "alert", ["id"], postgresql_where=UNHANDLED, sqlite_where=UNHANDLED)
    op.execute(
        "UPDATE mnt_work_order SET source_key = source_key || '#' || CAST(id AS VARCHAR(20)) "
        f"WHERE source_key <> '' AND {OPEN} AND id > ("
        "SELECT MIN(older.id) FROM mnt_work_order AS older "
        f"WHERE older.source_key = mnt_work_order.source_key AND older.{OPEN})"
    )
    op.create_index(
        "uq_mnt_work_order_open_source",
        "mnt_work_order",
        ["source_key"],
        unique=True,
        postgresql_where=OPEN_SOURCED,
        sqlite_where=OPEN_SOURCED,
    )


def downgrade() -> None:
    op.drop_index("uq_mnt_work_order_open_source", table_name="mnt_work_order")
    op.drop_index("ix_alert_unhandled", table_name="alert")
    # The cursor resumes after the last alert handled in one unbroken run from the first.
    op.execute(
        sa.text(
            "INSERT INTO scheduler_state (name, holder, cursor) SELECT :row, '', COALESCE(("
            "SELECT MIN(id) - 1 FROM alert WHERE work_order_handled_at IS NULL), (SELECT MAX(id) FROM alert), 0)"
        ).bindparams(row=CURSOR_ROW)
    )
    with op.batch_alter_table("alert") as batch:
        batch.drop_column("work_order_handled_at")
