"""Running work timers: one per person per work order (stopping adds the minutes to the order).

Revision ID: 0020_work_timer
Revises: 0019_read_model_version
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import facility.core.db

revision: str = "0020_work_timer"
down_revision: str | Sequence[str] | None = "0019_read_model_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mnt_work_timer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_order_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("started_at", facility.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["work_order_id"], ["mnt_work_order.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("work_order_id", "user_id"),
    )
    op.create_index("ix_mnt_work_timer_user_id", "mnt_work_timer", ["user_id"])
    op.create_index("ix_mnt_work_timer_work_order_id", "mnt_work_timer", ["work_order_id"])


def downgrade() -> None:
    op.drop_index("ix_mnt_work_timer_work_order_id", table_name="mnt_work_timer")
    op.drop_index("ix_mnt_work_timer_user_id", table_name="mnt_work_timer")
    op.drop_table("mnt_work_timer")
