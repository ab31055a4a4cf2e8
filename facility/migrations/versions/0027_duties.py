"""Statutory duties: the steps a completed inspection opens and their evidence; templates cite
the law (article, law.go.kr text, reviewed) and carry their duty definition, versioned.

Revision ID: 0027_duties
Revises: 0021_password_reset
Create Date: 2026-12-07 04:48:04.550623
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import facility.core.db

revision: str = "0027_duties"
down_revision: str | Sequence[str] | None = "0024_energy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mnt_duty",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("duty_code", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("step_key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("step_order", sa.Integer(), nullable=False),
        sa.Column("name_ko", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("law", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("article", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("source_url", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("owner_role", sa.String(length=20), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("starts_at", facility.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", facility.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("hold_until", facility.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("evidence_kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("done_at", facility.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.Integer(), nullable=True),
        sa.Column("reminded_at", facility.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", facility.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", facility.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["building_id"], ["building.id"], name=op.f("fk_mnt_duty_building_id_building")),
        sa.ForeignKeyConstraint(["done_by"], ["user_account.id"], name=op.f("fk_mnt_duty_done_by_user_account")),
        sa.ForeignKeyConstraint(
            ["inspection_id"], ["mnt_inspection.id"], name=op.f("fk_mnt_duty_inspection_id_mnt_inspection")
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["user_account.id"], name=op.f("fk_mnt_duty_owner_id_user_account")),
        sa.ForeignKeyConstraint(
            ["template_id"], ["mnt_template.id"], name=op.f("fk_mnt_duty_template_id_mnt_template")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mnt_duty")),
        sa.UniqueConstraint("inspection_id", "step_key", name=op.f("uq_mnt_duty_inspection_id_step_key")),
    )
    with op.batch_alter_table("mnt_duty", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mnt_duty_building_id"), ["building_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mnt_duty_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_mnt_duty_duty_code"), ["duty_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_mnt_duty_inspection_id"), ["inspection_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mnt_duty_law"), ["law"], unique=False)
        batch_op.create_index(batch_op.f("ix_mnt_duty_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mnt_duty_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_mnt_duty_template_id"), ["template_id"], unique=False)

    op.create_table(
        "mnt_duty_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("duty_id", sa.Integer(), nullable=False),
        sa.Column("reference_no", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("added_by", sa.Integer(), nullable=True),
        sa.Column("created_at", facility.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by"], ["user_account.id"], name=op.f("fk_mnt_duty_evidence_added_by_user_account")
        ),
        sa.ForeignKeyConstraint(["duty_id"], ["mnt_duty.id"], name=op.f("fk_mnt_duty_evidence_duty_id_mnt_duty")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mnt_duty_evidence")),
    )
    with op.batch_alter_table("mnt_duty_evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mnt_duty_evidence_duty_id"), ["duty_id"], unique=False)

    with op.batch_alter_table("mnt_template", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("article", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("source_url", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("reviewed", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("duty", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))

    with op.batch_alter_table("mnt_template_version", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("article", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("source_url", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("duty", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))


def downgrade() -> None:
    with op.batch_alter_table("mnt_template_version", schema=None) as batch_op:
        batch_op.drop_column("duty")
        batch_op.drop_column("source_url")
        batch_op.drop_column("article")

    with op.batch_alter_table("mnt_template", schema=None) as batch_op:
        batch_op.drop_column("duty")
        batch_op.drop_column("reviewed")
        batch_op.drop_column("source_url")
        batch_op.drop_column("article")

    with op.batch_alter_table("mnt_duty_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mnt_duty_evidence_duty_id"))

    op.drop_table("mnt_duty_evidence")
    with op.batch_alter_table("mnt_duty", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mnt_duty_template_id"))
        batch_op.drop_index(batch_op.f("ix_mnt_duty_status"))
        batch_op.drop_index(batch_op.f("ix_mnt_duty_owner_id"))
        batch_op.drop_index(batch_op.f("ix_mnt_duty_law"))
        batch_op.drop_index(batch_op.f("ix_mnt_duty_inspection_id"))
        batch_op.drop_index(batch_op.f("ix_mnt_duty_duty_code"))
        batch_op.drop_index(batch_op.f("ix_mnt_duty_due_at"))
        batch_op.drop_index(batch_op.f("ix_mnt_duty_building_id"))

    op.drop_table("mnt_duty")
