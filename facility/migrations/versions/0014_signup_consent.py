"""Renters' consent at sign-up: the terms and personal-information notice versions, and when

Revision ID: 0014_signup_consent
Revises: 0013_alerts_as_work
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import facility.core.db

revision: str = "0014_signup_consent"
down_revision: str | Sequence[str] | None = "0013_alerts_as_work"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(
            sa.Column("terms_version", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("privacy_version", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("consented_at", facility.core.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("consented_at")
        batch.drop_column("privacy_version")
        batch.drop_column("terms_version")
