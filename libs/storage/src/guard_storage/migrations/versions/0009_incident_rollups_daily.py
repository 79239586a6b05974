"""the incident trend rollup per UTC day instead of per hour

Trends are bucketed by day, week or month and the distribution sums the whole window, so an hour
grain only multiplied the rows a long window reads (up to 24 per day). The daily rows are the
hourly ones summed, so the upgrade carries them over; the downgrade recomputes the hourly rows from
the incidents themselves (the rollup is derived data: analytics refreshes it at start-up too).

Revision ID: 0009_incident_rollups_daily
Revises: 0008_rollup_shapes
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_incident_rollups_daily"
down_revision: str | None = "0008_rollup_shapes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MEASURES = "created_count, created_cost_micros, resolved_count, resolution_us_sum"


def _create(table: str, grain: str) -> None:
    big = sa.BigInteger()
    op.create_table(
        table,
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column(grain, sa.DateTime(timezone=True), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("cause_type", sa.String(length=16), nullable=False),
        *(sa.Column(name, big, nullable=False) for name in MEASURES.split(", ")),
        sa.PrimaryKeyConstraint(
            "tenant_id", grain, "category", "severity", "cause_type", name=op.f(f"pk_{table}")
        ),
    )


def upgrade() -> None:
    _create("incident_rollups_daily", "day")
    op.execute(
        f"""
        INSERT INTO incident_rollups_daily (tenant_id, day, category, severity, cause_type,
            {MEASURES})
        SELECT tenant_id, date_trunc('day', bucket, 'UTC'), category, severity, cause_type,
               sum(created_count), sum(created_cost_micros), sum(resolved_count),
               sum(resolution_us_sum)
        FROM incident_rollups_hourly GROUP BY 1, 2, 3, 4, 5
        """
    )
    op.drop_table("incident_rollups_hourly")


def downgrade() -> None:
    _create("incident_rollups_hourly", "bucket")
    resolved = "lifecycle_state = 'RESOLVED' AND resolved_at IS NOT NULL"
    op.execute(
        f"""
        INSERT INTO incident_rollups_hourly (tenant_id, bucket, category, severity, cause_type,
            {MEASURES})
        SELECT tenant_id, date_trunc('hour', created_at, 'UTC'), category, severity, cause_type,
               count(*), sum(cost_impact_micros), count(*) FILTER (WHERE {resolved}),
               coalesce(sum((extract(epoch FROM resolved_at - created_at) * 1000000)::bigint)
                 FILTER (WHERE {resolved}), 0)
        FROM incidents GROUP BY 1, 2, 3, 4, 5
        """
    )
    op.drop_table("incident_rollups_daily")
