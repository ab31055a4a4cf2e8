"""Devices keep the fields of their last message that no profile reads

A LoRaWAN decoder or a Zigbee device whose fields no table names used to leave no trace; the device
is now registered with them (JSON, name -> value) and the devices page shows them.

Revision ID: 0029_readers
Revises: 0021_password_reset
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0029_readers"
down_revision: str | Sequence[str] | None = "0022_commands"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("device") as batch:
        batch.add_column(
            sa.Column("raw_fields", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("device") as batch:
        batch.drop_column("raw_fields")
