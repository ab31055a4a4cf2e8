"""Alert rules edited in the UI: every saved set of overrides is a version.

Revision ID: 0028_console
Revises: 0021_password_reset
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import facility.core.db

revision: str = "0028_console"
down_revision: str | Sequence[str] | None = "0027_duties"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_rule_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("overrides", sa.JSON(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("created_at", facility.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["user_account.id"], name=op.f("fk_alert_rule_version_created_by_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_rule_version")),
    )


def downgrade() -> None:
    op.drop_table("alert_rule_version")
