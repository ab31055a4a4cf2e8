"""Public-rental rules: lotteries and their entries, reduction claims, a booking's purpose, and
fee schedules' purpose tiers, refund table and payment deadlines.

Revision ID: 0025_rental_rules
Revises: 0021_password_reset
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import facility.core.db

revision: str = "0025_rental_rules"
down_revision: str | Sequence[str] | None = "0029_readers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


FEE_SCHEDULE_COLUMNS = (
    lambda: sa.Column("purpose_percent", sa.JSON(), nullable=False, server_default="{}"),
    lambda: sa.Column("refund_table", sa.JSON(), nullable=False, server_default="[]"),
    lambda: sa.Column("advance_percent", sa.Integer(), nullable=False, server_default="0"),
    lambda: sa.Column("payment_days", sa.Integer(), nullable=False, server_default="14"),
    lambda: sa.Column("balance_days_before", sa.Integer(), nullable=False, server_default="3"),
)


def upgrade() -> None:
    op.create_table(
        "lottery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("slots", sa.JSON(), nullable=False),
        sa.Column("opens_at", facility.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closes_at", facility.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cap_per_org_month", sa.Integer(), nullable=False),
        sa.Column("cap_per_room_month", sa.Integer(), nullable=False),
        sa.Column("seed", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("draw_order", sa.JSON(), nullable=False),
        sa.Column("drawn_at", facility.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", facility.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user_account.id"], name=op.f("fk_lottery_created_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(["room_id"], ["room.id"], name=op.f("fk_lottery_room_id_room")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lottery")),
    )
    with op.batch_alter_table("lottery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lottery_room_id"), ["room_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_lottery_status"), ["status"], unique=False)

    op.create_table(
        "lottery_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lottery_id", sa.Integer(), nullable=False),
        sa.Column("slot_index", sa.Integer(), nullable=False),
        sa.Column("starts_at", facility.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("attendees", sa.Integer(), nullable=False),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("created_at", facility.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["booking_id"], ["booking.id"], name=op.f("fk_lottery_entry_booking_id_booking")),
        sa.ForeignKeyConstraint(["lottery_id"], ["lottery.id"], name=op.f("fk_lottery_entry_lottery_id_lottery")),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organization.id"], name=op.f("fk_lottery_entry_organization_id_organization")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_lottery_entry_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lottery_entry")),
        sa.UniqueConstraint(
            "lottery_id",
            "slot_index",
            "organization_id",
            name=op.f("uq_lottery_entry_lottery_id_slot_index_organization_id"),
        ),
    )
    with op.batch_alter_table("lottery_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lottery_entry_lottery_id"), ["lottery_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_lottery_entry_organization_id"), ["organization_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_lottery_entry_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "reduction_claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("proof_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("proof_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("proof", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", facility.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", facility.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["booking_id"], ["booking.id"], name=op.f("fk_reduction_claim_booking_id_booking")),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["user_account.id"], name=op.f("fk_reduction_claim_decided_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_reduction_claim_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reduction_claim")),
    )
    with op.batch_alter_table("reduction_claim", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reduction_claim_booking_id"), ["booking_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reduction_claim_status"), ["status"], unique=False)

    # Plain ALTER TABLE (SQLite 3.35+ drops columns too): a batch copy of these tables would lose
    # the read-model triggers of migration 0019.
    op.add_column(
        "booking",
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False, server_default="general"),
    )
    for column in FEE_SCHEDULE_COLUMNS:
        op.add_column("fee_schedule", column())


def downgrade() -> None:
    for column in reversed(FEE_SCHEDULE_COLUMNS):
        op.drop_column("fee_schedule", column().name)
    op.drop_column("booking", "purpose")

    with op.batch_alter_table("reduction_claim", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reduction_claim_status"))
        batch_op.drop_index(batch_op.f("ix_reduction_claim_booking_id"))

    op.drop_table("reduction_claim")
    with op.batch_alter_table("lottery_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lottery_entry_starts_at"))
        batch_op.drop_index(batch_op.f("ix_lottery_entry_organization_id"))
        batch_op.drop_index(batch_op.f("ix_lottery_entry_lottery_id"))

    op.drop_table("lottery_entry")
    with op.batch_alter_table("lottery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lottery_status"))
        batch_op.drop_index(batch_op.f("ix_lottery_room_id"))

    op.drop_table("lottery")
