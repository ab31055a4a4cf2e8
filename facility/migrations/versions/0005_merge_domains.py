"""Join the booking, sensors and maintenance branches into one head

Revision ID: 0005_merge_domains
Revises: 0002_booking, 0003_sensors, 0004_maintenance
"""

from collections.abc import Sequence

revision: str = "0005_merge_domains"
down_revision: str | Sequence[str] | None = ("0002_booking", "0003_sensors", "0004_maintenance")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
