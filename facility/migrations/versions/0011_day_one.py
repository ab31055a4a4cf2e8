"""Inspection templates keep their versions; assets their warranty; staff their trade and buildings

An updated template applies to occurrences created after the change; a submission keeps the
checklist it was done against. `customised` marks a template edited on site, which the seeding
step that `facility db upgrade` runs then leaves alone. Existing templates become version 1.
Assets gain `warranty_until`; `mnt_staff_profile` holds a staff member's trade and buildings (both
come in through `facility import`).

Revision ID: 0011_day_one
Revises: 0009_sign_in_and_idempotency
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import facility.core.db

revision: str = "0011_day_one"
down_revision: str | Sequence[str] | None = "0009_sign_in_and_idempotency"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("mnt_template") as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("1")))
        batch_op.add_column(sa.Column("customised", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("mnt_inspection") as batch_op:
        batch_op.add_column(sa.Column("template_version", sa.Integer(), nullable=False, server_default=sa.text("1")))
    with op.batch_alter_table("mnt_submission") as batch_op:
        batch_op.add_column(sa.Column("template_version", sa.Integer(), nullable=False, server_default=sa.text("1")))
    op.create_table(
        "mnt_template_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name_ko", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("legal_basis", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("cadence", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("created_at", facility.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["template_id"], ["mnt_template.id"], name=op.f("fk_mnt_template_version_template_id_mnt_template")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mnt_template_version")),
        sa.UniqueConstraint("template_id", "version", name=op.f("uq_mnt_template_version_template_id_version")),
    )
    with op.batch_alter_table("mnt_template_version") as batch_op:
        batch_op.create_index(batch_op.f("ix_mnt_template_version_template_id"), ["template_id"], unique=False)
    with op.batch_alter_table("mnt_asset") as batch_op:
        batch_op.add_column(sa.Column("warranty_until", sa.Date(), nullable=True))
    op.create_table(
        "mnt_staff_profile",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("trade", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("building_ids", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_mnt_staff_profile_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_mnt_staff_profile")),
    )
    # Version 1 of every template already here is what it says now.
    op.execute(
        "INSERT INTO mnt_template_version (template_id, version, name_ko, name_en, legal_basis, cadence, items, created_at)"
        " SELECT id, 1, name_ko, name_en, legal_basis, cadence, items, CURRENT_TIMESTAMP FROM mnt_template"
    )


def downgrade() -> None:
    op.drop_table("mnt_staff_profile")
    with op.batch_alter_table("mnt_asset") as batch_op:
        batch_op.drop_column("warranty_until")
    with op.batch_alter_table("mnt_template_version") as batch_op:
        batch_op.drop_index(batch_op.f("ix_mnt_template_version_template_id"))
    op.drop_table("mnt_template_version")
    with op.batch_alter_table("mnt_submission") as batch_op:
        batch_op.drop_column("template_version")
    with op.batch_alter_table("mnt_inspection") as batch_op:
        batch_op.drop_column("template_version")
    with op.batch_alter_table("mnt_template") as batch_op:
        batch_op.drop_column("customised")
        batch_op.drop_column("version")
