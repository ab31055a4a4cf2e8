"""Index bookings by status, then start, for the housekeeping every request runs

Releasing no-shows asks for approved or confirmed bookings that started over half an hour ago.
With only an index on `status`, PostgreSQL read every approved or confirmed booking (a year of
future ones) to find the few that are due: 60 ms on each booking request at a million bookings.
`(status, starts_at)` reads exactly the due ones and still serves every status-only query.

Revision ID: 0007_booking_status_start_index
Revises: 0006_claim_period_indexes
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_booking_status_start_index"
down_revision: str | Sequence[str] | None = "0006_claim_period_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_booking_status_start", "booking", ["status", "starts_at"])
    op.drop_index("ix_booking_status", table_name="booking")


def downgrade() -> None:
    op.create_index("ix_booking_status", "booking", ["status"])
    op.drop_index("ix_booking_status_start", table_name="booking")
