"""Index space claims by period, so a window's claims are read without walking the past

A claim read asks for `starts_at < hi AND ends_at > lo`. A btree led by `starts_at` still walks every
claim before `hi` (years of history). Claims of a day or less (every booking: the longest kind lasts
15 hours plus buffers) are therefore read with `starts_at >= lo - 1 day`, a narrow range of
`ix_space_claim_period`; the few longer ones (multi-day blocks) through an index on their length
(`booking.models.claim_seconds`, spelled here as it compiles). The boolean index on `active` never
helped a query and is dropped.

Revision ID: 0006_claim_period_indexes
Revises: 0005_merge_domains
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006_claim_period_indexes"
down_revision: str | Sequence[str] | None = "0005_merge_domains"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLAIM_SECONDS = {
    "postgresql": "extract(epoch from (ends_at - starts_at))",
    "sqlite": "((julianday(ends_at) - julianday(starts_at)) * 86400)",
}


def upgrade() -> None:
    op.create_index("ix_space_claim_period", "space_claim", ["starts_at", "ends_at", "space_id", "active"])
    length = CLAIM_SECONDS[op.get_bind().dialect.name]
    op.execute(f"CREATE INDEX ix_space_claim_long ON space_claim (({length}))")
    op.drop_index("ix_space_claim_active", table_name="space_claim")


def downgrade() -> None:
    op.create_index("ix_space_claim_active", "space_claim", ["active"])
    op.drop_index("ix_space_claim_long", table_name="space_claim")
    op.drop_index("ix_space_claim_period", table_name="space_claim")
