"""Uploaded floor drawings: one sanitised SVG per floor.

Revision ID: 0031_console2
Revises: 0028_console
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import facility.core.db

revision: str = "0031_console2"
down_revision: str | Sequence[str] | None = "0028_console"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "floor_drawing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("floor_id", sa.Integer(), nullable=False),
        sa.Column("svg", sa.Text(), nullable=False),
        sa.Column("uploaded_at", facility.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["floor_id"], ["floor.id"], name=op.f("fk_floor_drawing_floor_id_floor")),
        sa.ForeignKeyConstraint(
            ["uploaded_by"], ["user_account.id"], name=op.f("fk_floor_drawing_uploaded_by_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_floor_drawing")),
        sa.UniqueConstraint("floor_id", name=op.f("uq_floor_drawing_floor_id")),
    )


def downgrade() -> None:
    op.drop_table("floor_drawing")
