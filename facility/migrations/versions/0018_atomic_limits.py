"""One live waitlist entry per organisation, room and slot

One renter could join the same slot a hundred times (each press a row). Duplicates already live
are cancelled, keeping the earliest (its place in the queue); then a partial unique index holds it.

Revision ID: 0018_atomic_limits
Revises: 0017_alert_handled
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_atomic_limits"
down_revision: str | Sequence[str] | None = "0017_alert_handled"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("status IN ('waiting', 'offered')")


def upgrade() -> None:
    op.execute(
        """
        UPDATE waitlist_entry SET status = 'cancelled'
        WHERE status IN ('waiting', 'offered') AND EXISTS (
            SELECT 1 FROM waitlist_entry AS earlier
            WHERE earlier.status IN ('waiting', 'offered')
              AND earlier.organization_id = waitlist_entry.organization_id
              AND earlier.room_id = waitlist_entry.room_id
              AND earlier.starts_at = waitlist_entry.starts_at
              AND earlier.ends_at = waitlist_entry.ends_at
              AND earlier.id < waitlist_entry.id
        )
        """
    )
    op.create_index(
        "uq_waitlist_live_slot",
        "waitlist_entry",
        ["organization_id", "room_id", "starts_at", "ends_at"],
        unique=True,
        postgresql_where=LIVE,
        sqlite_where=LIVE,
    )


def downgrade() -> None:
    op.drop_index("uq_waitlist_live_slot", table_name="waitlist_entry")
