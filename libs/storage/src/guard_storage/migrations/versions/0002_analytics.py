"""analytics tables: cost rollups and watermarks

Revision ID: 0002_analytics
Revises: 0001_ingest
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002_analytics'
down_revision: str | None = '0001_ingest'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('cost_rollups_hourly',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('bucket', sa.DateTime(timezone=True), nullable=False),
    sa.Column('feature_tag', sa.String(length=256), nullable=False),
    sa.Column('model', sa.String(length=256), nullable=False),
    sa.Column('user_id', sa.String(length=256), nullable=False),
    sa.Column('cost_micros', sa.BigInteger(), nullable=False),
    sa.Column('request_count', sa.BigInteger(), nullable=False),
    sa.Column('input_tokens', sa.BigInteger(), nullable=False),
    sa.Column('output_tokens', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'bucket', 'feature_tag', 'model', 'user_id', name=op.f('pk_cost_rollups_hourly'))
    )
    op.create_table('cost_rollups_daily',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('day', sa.DateTime(timezone=True), nullable=False),
    sa.Column('feature_tag', sa.String(length=256), nullable=False),
    sa.Column('model', sa.String(length=256), nullable=False),
    sa.Column('user_id', sa.String(length=256), nullable=False),
    sa.Column('cost_micros', sa.BigInteger(), nullable=False),
    sa.Column('request_count', sa.BigInteger(), nullable=False),
    sa.Column('input_tokens', sa.BigInteger(), nullable=False),
    sa.Column('output_tokens', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'day', 'feature_tag', 'model', 'user_id', name=op.f('pk_cost_rollups_daily'))
    )
    op.create_table('analytics_watermarks',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('position', sa.BigInteger(), nullable=False),
    sa.Column('pending_position', sa.BigInteger(), nullable=True),
    sa.Column('pending_xmax', sa.BigInteger(), nullable=True),
    sa.Column('advanced_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_analytics_watermarks'))
    )
    op.create_table('incident_rollups_hourly',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('bucket', sa.DateTime(timezone=True), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('cause_type', sa.String(length=16), nullable=False),
    sa.Column('created_count', sa.BigInteger(), nullable=False),
    sa.Column('created_cost_micros', sa.BigInteger(), nullable=False),
    sa.Column('resolved_count', sa.BigInteger(), nullable=False),
    sa.Column('resolution_us_sum', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'bucket', 'category', 'severity', 'cause_type', name=op.f('pk_incident_rollups_hourly'))
    )
    op.create_table('analytics_published_anomalies',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('event_id', sa.UUID(), nullable=False),
    sa.Column('anomaly_type', sa.String(length=32), nullable=False),
    sa.Column('entity_type', sa.String(length=16), nullable=False),
    sa.Column('entity_id', sa.String(length=256), nullable=False),
    sa.Column('period', sa.String(length=64), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'event_id', name=op.f('pk_analytics_published_anomalies'))
    )


def downgrade() -> None:
    op.drop_table('analytics_published_anomalies')
    op.drop_table('incident_rollups_hourly')
    op.drop_table('analytics_watermarks')
    op.drop_table('cost_rollups_daily')
    op.drop_table('cost_rollups_hourly')
