"""One live invoice per booking and kind

Racing approvals of one booking issued one invoice each. The lifecycle's conditional update now
lets only one approval through; this partial unique index is the database's word on it.

Revision ID: 0008_live_invoice_unique
Revises: 0007_booking_status_start_index
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_live_invoice_unique"
down_revision: str | Sequence[str] | None = "0007_booking_status_start_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("status <> 'void'")


def upgrade() -> None:
    op.create_index(
        "uq_invoice_live_kind",
        "invoice",
        ["booking_id", "kind"],
        unique=True,
        postgresql_where=LIVE,
        sqlite_where=LIVE,
    )


def downgrade() -> None:
    op.drop_index("uq_invoice_live_kind", table_name="invoice")
