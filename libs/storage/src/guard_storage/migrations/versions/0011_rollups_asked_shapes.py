"""cost rollups keep only the shapes that answers read

``cost_rollups_daily`` (tenant × day × feature × model × user) is dropped: every daily question
(the gateway's windows, the anomaly detector's baselines and first days) reads the per-dimension
daily rollup, which holds the same spend per tenant and per feature, model and user value in a
fraction of the rows, and the feature × model × user combinations stay in the hourly rollup. The
hourly rollup loses its token sums, which nothing read (tokens are read from a run's raw events
for evidence). A rebuild then writes ~28 % fewer rows (docs/operations-scaling.md, "The rollup
shapes").

Downgrade recreates both from the hourly rollup; token sums come back as 0 and days whose hours
were dropped by ``HOURLY_ROLLUPS_RETENTION_DAYS`` stay missing.

Revision ID: 0011_rollups_asked_shapes
Revises: 0010_tenant_first_keys
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_rollups_asked_shapes"
down_revision: str | None = "0010_tenant_first_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_table("cost_rollups_daily")
    op.drop_column("cost_rollups_hourly", "input_tokens")
    op.drop_column("cost_rollups_hourly", "output_tokens")


def downgrade() -> None:
    for column in ("input_tokens", "output_tokens"):
        op.add_column(
            "cost_rollups_hourly",
            sa.Column(column, sa.BigInteger(), nullable=False, server_default="0"),
        )
        op.alter_column("cost_rollups_hourly", column, server_default=None)
    op.create_table(
        "cost_rollups_daily",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.DateTime(timezone=True), nullable=False),
        sa.Column("feature_tag", sa.String(length=256), nullable=False),
        sa.Column("model", sa.String(length=256), nullable=False),
        sa.Column("user_id", sa.String(length=256), nullable=False),
        sa.Column("cost_micros", sa.BigInteger(), nullable=False),
        sa.Column("request_count", sa.BigInteger(), nullable=False),
        sa.Column("input_tokens", sa.BigInteger(), nullable=False),
        sa.Column("output_tokens", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "day", "feature_tag", "model", "user_id", name="pk_cost_rollups_daily"
        ),
    )
    op.execute(
        "INSERT INTO cost_rollups_daily SELECT tenant_id, date_trunc('day', bucket, 'UTC'), "
        "feature_tag, model, user_id, sum(cost_micros), sum(request_count), 0, 0 "
        "FROM cost_rollups_hourly GROUP BY 1, 2, 3, 4, 5"
    )
