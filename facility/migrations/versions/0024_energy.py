"""Energy: per-room window settings, the manager's mode table, meters mapped to rooms, each room's mode.

Revision ID: 0024_energy
Revises: 0026_rental_papers
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import facility.core.db

revision: str = "0024_energy"
down_revision: str | Sequence[str] | None = "0026_rental_papers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "energy_mode_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("energy_kind", sa.String(length=20), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_energy_mode_action")),
        sa.UniqueConstraint(
            "energy_kind", "mode", "channel", name=op.f("uq_energy_mode_action_energy_kind_mode_channel")
        ),
    )
    op.create_table(
        "energy_room_setting",
        sa.Column("room_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("lead_minutes", sa.Integer(), nullable=True),
        sa.Column("hold_minutes", sa.Integer(), nullable=True),
        sa.Column("always_on", sa.Boolean(), nullable=True),
        sa.Column("learned_lead_minutes", sa.Integer(), nullable=True),
        sa.Column("learned_at", facility.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", facility.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["room_id"], ["room.id"], name=op.f("fk_energy_room_setting_room_id_room")),
        sa.PrimaryKeyConstraint("room_id", name=op.f("pk_energy_room_setting")),
    )
    op.create_table(
        "energy_room_state",
        sa.Column("room_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("since", facility.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("override_mode", sa.String(length=20), nullable=True),
        sa.Column("override_until", facility.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("override_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["override_by"], ["user_account.id"], name=op.f("fk_energy_room_state_override_by_user_account")
        ),
        sa.ForeignKeyConstraint(["room_id"], ["room.id"], name=op.f("fk_energy_room_state_room_id_room")),
        sa.PrimaryKeyConstraint("room_id", name=op.f("pk_energy_room_state")),
    )
    op.create_table(
        "energy_meter",
        sa.Column("device_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"], name=op.f("fk_energy_meter_device_id_device")),
        sa.ForeignKeyConstraint(["room_id"], ["room.id"], name=op.f("fk_energy_meter_room_id_room")),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_energy_meter")),
    )
    with op.batch_alter_table("energy_meter", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_energy_meter_room_id"), ["room_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("energy_meter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_energy_meter_room_id"))

    op.drop_table("energy_meter")
    op.drop_table("energy_room_state")
    op.drop_table("energy_room_setting")
    op.drop_table("energy_mode_action")
