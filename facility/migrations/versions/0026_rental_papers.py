"""Rental paperwork: taxable invoices, imported bank deposits (once each), withdrawn accounts.

Revision ID: 0026_rental_papers
Revises: 0021_password_reset
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import facility.core.db

revision: str = "0026_rental_papers"
down_revision: str | Sequence[str] | None = "0025_rental_rules"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD/DROP COLUMN, not a batch: SQLite's batch copies the table and would lose the
    # read-model triggers (0019) on it.
    op.add_column("invoice", sa.Column("taxable", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("user_account", sa.Column("withdrawn_at", facility.core.db.UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        "bank_deposit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("deposited_at", facility.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("depositor", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("memo", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("imported_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", facility.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"], name=op.f("fk_bank_deposit_invoice_id_invoice")),
        sa.ForeignKeyConstraint(["payment_id"], ["payment.id"], name=op.f("fk_bank_deposit_payment_id_payment")),
        sa.ForeignKeyConstraint(
            ["imported_by_id"], ["user_account.id"], name=op.f("fk_bank_deposit_imported_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_deposit")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_bank_deposit_fingerprint")),
    )
    with op.batch_alter_table("bank_deposit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bank_deposit_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bank_deposit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bank_deposit_status"))
    op.drop_table("bank_deposit")
    op.drop_column("user_account", "withdrawn_at")
    op.drop_column("invoice", "taxable")
