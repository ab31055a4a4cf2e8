"""The outbox is core's and has channels: outbox_message.channel ('email' or 'webhook')

Rows queued before this migration are e-mail.

Revision ID: 0010_outbox_channel
Revises: 0010_scheduler_state
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_outbox_channel"
down_revision: str | Sequence[str] | None = "0010_scheduler_state"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message") as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(length=20), nullable=False, server_default="email"))


def downgrade() -> None:
    with op.batch_alter_table("outbox_message") as batch_op:
        batch_op.drop_column("channel")
