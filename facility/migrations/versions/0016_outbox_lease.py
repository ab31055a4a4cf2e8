"""The outbox is claimed, sent and recorded in three short steps: a row being sent is `sending`
until `lease_until`, after which another sender may take it again.

Revision ID: 0016_outbox_lease
Revises: 0015_memo_notify
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import facility.core.db

revision: str = "0016_outbox_lease"
down_revision: str | Sequence[str] | None = "0015_memo_notify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("lease_until", facility.core.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # A row caught mid-send goes back to waiting; its Message-ID lets the receiver spot a resend.
    op.execute("UPDATE outbox_message SET status = 'pending' WHERE status = 'sending'")
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_column("lease_until")
