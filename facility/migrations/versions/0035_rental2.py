"""Series lotteries (a winner gets a whole recurring series), caps that count ordinary bookings,
and reduction categories edited by an admin (one row per version).

Revision ID: 0035_rental2
Revises: 0028_console
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import facility.core.db

revision: str = "0035_rental2"
down_revision: str | Sequence[str] | None = "0033_crew2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reduction_category",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("proof_required", sa.Boolean(), nullable=False),
        sa.Column("name_ko", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("proof_hint", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", facility.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user_account.id"], name=op.f("fk_reduction_category_created_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reduction_category")),
        sa.UniqueConstraint("code", "version", name=op.f("uq_reduction_category_code_version")),
    )
    with op.batch_alter_table("reduction_category", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reduction_category_code"), ["code"], unique=False)
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
    op.drop_table("reduction_category")
