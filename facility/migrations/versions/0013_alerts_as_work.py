"""Alerts become work: acknowledged, assigned, snoozed and resolved by staff; work orders know
their alert, trade and completion evidence; assignment rules pick a default assignee

A work order points at its alert (`alert_id`), never the other way, so sensors keeps not knowing
maintenance. `mnt_assignment_rule` maps a building and a trade to the staff member who gets that
work by default.

Revision ID: 0013_alerts_as_work
Revises: 0011_day_one
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import facility.core.db

revision: str = "0013_alerts_as_work"
down_revision: str | Sequence[str] | None = "0011_day_one"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = facility.core.db.UTCDateTime(timezone=True)


def _text(name: str, length: int) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=False, server_default="")


def upgrade() -> None:
    with op.batch_alter_table("alert") as batch:
        batch.add_column(sa.Column("acknowledged_at", UTC, nullable=True))
        batch.add_column(sa.Column("acknowledged_by", sa.Integer(), nullable=True))
        batch.add_column(_text("acknowledge_note", 500))
        batch.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("snoozed_until", UTC, nullable=True))
        batch.add_column(sa.Column("resolved_at", UTC, nullable=True))
        batch.add_column(sa.Column("resolved_by", sa.Integer(), nullable=True))
        batch.add_column(_text("resolve_note", 500))
        batch.create_foreign_key(
            batch.f("fk_alert_acknowledged_by_user_account"), "user_account", ["acknowledged_by"], ["id"]
        )
        batch.create_foreign_key(batch.f("fk_alert_assignee_id_user_account"), "user_account", ["assignee_id"], ["id"])
        batch.create_foreign_key(batch.f("fk_alert_resolved_by_user_account"), "user_account", ["resolved_by"], ["id"])
        batch.create_index(batch.f("ix_alert_assignee_id"), ["assignee_id"], unique=False)
    with op.batch_alter_table("mnt_work_order") as batch:
        batch.add_column(sa.Column("alert_id", sa.Integer(), nullable=True))
        batch.add_column(_text("trade", 40))
        batch.add_column(sa.Column("needs_parts", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("signature_photo_id", sa.Integer(), nullable=True))
        batch.add_column(_text("signed_by", 100))
        batch.create_foreign_key(batch.f("fk_mnt_work_order_alert_id_alert"), "alert", ["alert_id"], ["id"])
        batch.create_index(batch.f("ix_mnt_work_order_alert_id"), ["alert_id"], unique=False)
    op.create_table(
        "mnt_assignment_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("trade", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"], ["building.id"], name=op.f("fk_mnt_assignment_rule_building_id_building")
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["user_account.id"], name=op.f("fk_mnt_assignment_rule_assignee_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mnt_assignment_rule")),
        sa.UniqueConstraint("building_id", "trade", name=op.f("uq_mnt_assignment_rule_building_id_trade")),
    )
    with op.batch_alter_table("mnt_assignment_rule") as batch:
        batch.create_index(batch.f("ix_mnt_assignment_rule_building_id"), ["building_id"], unique=False)
        batch.create_index(batch.f("ix_mnt_assignment_rule_assignee_id"), ["assignee_id"], unique=False)


def downgrade() -> None:
    op.drop_table("mnt_assignment_rule")
    with op.batch_alter_table("mnt_work_order") as batch:
        batch.drop_index(batch.f("ix_mnt_work_order_alert_id"))
        batch.drop_constraint(batch.f("fk_mnt_work_order_alert_id_alert"), type_="foreignkey")
        for name in ("signed_by", "signature_photo_id", "needs_parts", "trade", "alert_id"):
            batch.drop_column(name)
    with op.batch_alter_table("alert") as batch:
        batch.drop_index(batch.f("ix_alert_assignee_id"))
        for fk in ("resolved_by", "assignee_id", "acknowledged_by"):
            batch.drop_constraint(batch.f(f"fk_alert_{fk}_user_account"), type_="foreignkey")
        for name in (
            "resolve_note",
            "resolved_by",
            "resolved_at",
            "snoozed_until",
            "assignee_id",
            "acknowledge_note",
            "acknowledged_by",
            "acknowledged_at",
        ):
            batch.drop_column(name)
