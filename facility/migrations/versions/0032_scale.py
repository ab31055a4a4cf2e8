"""Index bookings by length, so a window's bookings are read without walking the past

The manager's calendar reads `starts_at < hi AND ends_at > lo` for hundreds of rooms: through
`ix_booking_room_period` that walked every booking those rooms ever had (250,000 of 250 rooms with a
million bookings). Bookings of a day or less are now read with `starts_at >= lo - 1 day`, the rare
longer ones through this index on their length (as `ix_space_claim_long` does for claims, migration
0006; `booking.models.claim_seconds` spells it).

Revision ID: 0032_scale
Revises: 0028_console
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0032_scale"
down_revision: str | Sequence[str] | None = "0031_console2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SECONDS = {
    "postgresql": "extract(epoch from (ends_at - starts_at))",
    "sqlite": "((julianday(ends_at) - julianday(starts_at)) * 86400)",
}


def upgrade() -> None:
    length = SECONDS[op.get_bind().dialect.name]
    op.execute(f"CREATE INDEX ix_booking_long ON booking (({length}))")


def downgrade() -> None:
    op.drop_index("ix_booking_long", table_name="booking")
