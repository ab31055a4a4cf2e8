"""The scheduler's table leaves maintenance: mnt_scheduler_state becomes scheduler_state

The scheduler now stands beside the app and the CLI and runs every domain's jobs, so its table
carries no domain's prefix. Rows (each job's last run, the lease, job cursors) are kept.

Revision ID: 0010_scheduler_state
Revises: 0008_live_invoice_unique
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_scheduler_state"
down_revision: str | Sequence[str] | None = "0008_live_invoice_unique"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rename(old: str, new: str) -> None:
    op.rename_table(old, new)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {new} RENAME CONSTRAINT pk_{old} TO pk_{new}")


def upgrade() -> None:
    _rename("mnt_scheduler_state", "scheduler_state")


def downgrade() -> None:
    _rename("scheduler_state", "mnt_scheduler_state")
