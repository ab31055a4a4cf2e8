"""Series lotteries (a winner gets a whole recurring series) and caps that count ordinary bookings.

Revision ID: 0035_rental2
Revises: 0028_console
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0035_rental2"
down_revision: str | Sequence[str] | None = "0028_console"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("lottery", schema=None) as batch_op:
        batch_op.add_column(sa.Column("caps_count_bookings", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(
            sa.Column("rrule", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False, server_default="")
        )
    with op.batch_alter_table("lottery_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("series_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_lottery_entry_series_id_booking_series"), "booking_series", ["series_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("lottery_entry", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_lottery_entry_series_id_booking_series"), type_="foreignkey")
        batch_op.drop_column("series_id")
    with op.batch_alter_table("lottery", schema=None) as batch_op:
        batch_op.drop_column("rrule")
        batch_op.drop_column("caps_count_bookings")
