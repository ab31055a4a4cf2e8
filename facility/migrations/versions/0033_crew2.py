"""Buildings' approval month (사용승인월) and the per-item notes and photos of a checklist.

Revision ID: 0033_crew2
Revises: 0028_console
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0033_crew2"
down_revision: str | Sequence[str] | None = "0032_scale"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("building") as batch:
        batch.add_column(sa.Column("approval_month", sa.Integer(), nullable=True))
    with op.batch_alter_table("mnt_submission") as batch:
        batch.add_column(sa.Column("item_extras", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("mnt_submission") as batch:
        batch.drop_column("item_extras")
    with op.batch_alter_table("building") as batch:
        batch.drop_column("approval_month")
