"""Devices and dead letters record their device profile

A device's code is now `<profile>:<its own id>` for every family but our own scheme; the profile
is kept beside it so the registry can be filtered and the placement page can say what a device
is. Dead letters say which profile could not read them.

Revision ID: 0012_device_profile
Revises: 0010_outbox_channel
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012_device_profile"
down_revision: str | Sequence[str] | None = "0010_outbox_channel"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("device") as batch:
        batch.add_column(
            sa.Column("profile", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False, server_default="facility")
        )
    with op.batch_alter_table("dead_letter") as batch:
        batch.add_column(
            sa.Column("profile", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("dead_letter") as batch:
        batch.drop_column("profile")
    with op.batch_alter_table("device") as batch:
        batch.drop_column("profile")
