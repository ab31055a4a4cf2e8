"""Commands: each actuator channel's desired and reported state.

Revision ID: 0022_commands
Revises: 0021_password_reset
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import facility.core.db

revision: str = "0022_commands"
down_revision: str | Sequence[str] | None = "0021_password_reset"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    utc = facility.core.db.UTCDateTime(timezone=True)
    op.create_table(
        "desired_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("desired_value", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("reported_value", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("reported_at", utc, nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", utc, nullable=True),
        sa.Column("confirmed_at", utc, nullable=True),
        sa.Column("lease_until", utc, nullable=True),
        sa.Column("override_until", utc, nullable=True),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("updated_at", utc, nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"], name=op.f("fk_desired_state_device_id_device")),
        sa.ForeignKeyConstraint(["alert_id"], ["alert.id"], name=op.f("fk_desired_state_alert_id_alert")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desired_state")),
        sa.UniqueConstraint("device_id", "channel", name=op.f("uq_desired_state_device_id_channel")),
    )
    with op.batch_alter_table("desired_state", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_desired_state_device_id"), ["device_id"], unique=False)
        batch_op.create_index("ix_desired_state_open", ["state", "sent_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("desired_state", schema=None) as batch_op:
        batch_op.drop_index("ix_desired_state_open")
        batch_op.drop_index(batch_op.f("ix_desired_state_device_id"))
    op.drop_table("desired_state")
