"""ingest tables: raw events, incidents, timeline, budgets, anomalies, outbox

Revision ID: 0001_ingest
Revises: 
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0001_ingest'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('cost_events',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('event_id', sa.UUID(), nullable=False),
    sa.Column('seq', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('run_id', sa.String(length=256), nullable=True),
    sa.Column('step_index', sa.Integer(), nullable=True),
    sa.Column('agent_id', sa.String(length=256), nullable=True),
    sa.Column('user_id', sa.String(length=256), nullable=True),
    sa.Column('feature_tag', sa.String(length=256), nullable=True),
    sa.Column('model', sa.String(length=256), nullable=False),
    sa.Column('provider', sa.String(length=256), nullable=True),
    sa.Column('input_tokens', sa.BigInteger(), nullable=False),
    sa.Column('output_tokens', sa.BigInteger(), nullable=False),
    sa.Column('cost_micros', sa.BigInteger(), nullable=False),
    sa.Column('duration_ms', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=True),
    sa.Column('ingested_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'event_id', name=op.f('pk_cost_events'))
    )
    op.create_index('ix_cost_events_seq', 'cost_events', ['seq'], unique=True)
    op.create_index('ix_cost_events_tenant_occurred', 'cost_events', ['tenant_id', 'occurred_at'], unique=False)
    op.create_index('ix_cost_events_tenant_run', 'cost_events', ['tenant_id', 'run_id'], unique=False, postgresql_where=sa.text('run_id IS NOT NULL'))
    op.create_table('killswitch_events',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('event_id', sa.UUID(), nullable=False),
    sa.Column('seq', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('event_type', sa.String(length=32), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('killswitch_id', sa.String(length=256), nullable=False),
    sa.Column('trigger_type', sa.String(length=32), nullable=True),
    sa.Column('action', sa.String(length=16), nullable=True),
    sa.Column('run_id', sa.String(length=256), nullable=True),
    sa.Column('agent_id', sa.String(length=256), nullable=True),
    sa.Column('policy_id', sa.String(length=256), nullable=True),
    sa.Column('rule', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('actor_id', sa.String(length=256), nullable=True),
    sa.Column('calls_affected', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('cost_delta_micros', sa.BigInteger(), nullable=True),
    sa.Column('error_rate', sa.Numeric(precision=7, scale=6), nullable=True),
    sa.Column('severity', sa.String(length=16), nullable=True),
    sa.Column('evidence', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('incident_id', sa.UUID(), nullable=True),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.Column('ingested_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'event_id', name=op.f('pk_killswitch_events'))
    )
    op.create_index('ix_killswitch_events_incident', 'killswitch_events', ['incident_id'], unique=False)
    op.create_index('ix_killswitch_events_seq', 'killswitch_events', ['seq'], unique=True)
    op.create_index('ix_killswitch_events_tenant_killswitch', 'killswitch_events', ['tenant_id', 'killswitch_id'], unique=False)
    op.create_table('processed_events',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('event_id', sa.UUID(), nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'event_id', name=op.f('pk_processed_events'))
    )
    op.create_table('incidents',
    sa.Column('incident_id', sa.UUID(), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('lifecycle_state', sa.String(length=16), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('cause_type', sa.String(length=16), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('source_type', sa.String(length=16), nullable=False),
    sa.Column('fingerprint', sa.Text(), nullable=False),
    sa.Column('llm_run_id', sa.String(length=256), nullable=True),
    sa.Column('affected_agent_id', sa.String(length=256), nullable=True),
    sa.Column('policy_id', sa.String(length=256), nullable=True),
    sa.Column('trigger_type', sa.String(length=32), nullable=True),
    sa.Column('calls_affected', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('event_count', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('cost_impact_micros', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('error_code', sa.String(length=64), nullable=True),
    sa.Column('error_message', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('first_event_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_event_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acked_by', sa.String(length=256), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.String(length=256), nullable=True),
    sa.Column('resolution_method', sa.String(length=32), nullable=True),
    sa.Column('recurrence_of', sa.UUID(), nullable=True),
    sa.Column('is_synthetic', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('contained_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('timeline_length', sa.Integer(), server_default='0', nullable=False),
    sa.Column('timeline_head', sa.String(length=64), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("lifecycle_state IN ('ACTIVE','ACKED','RESOLVED')", name=op.f('ck_incidents_lifecycle_state')),
    sa.CheckConstraint("severity IN ('low','medium','high','critical')", name=op.f('ck_incidents_severity')),
    sa.PrimaryKeyConstraint('incident_id', name=op.f('pk_incidents'))
    )
    op.create_index('ix_incidents_open_last_event', 'incidents', ['last_event_at'], unique=False, postgresql_where=sa.text("lifecycle_state <> 'RESOLVED'"))
    op.create_index('ix_incidents_tenant_created', 'incidents', ['tenant_id', 'created_at', 'incident_id'], unique=False)
    op.create_index('ix_incidents_tenant_fingerprint', 'incidents', ['tenant_id', 'fingerprint', 'last_event_at'], unique=False)
    op.create_index('ix_incidents_tenant_resolved', 'incidents', ['tenant_id', 'resolved_at', 'incident_id'], unique=False)
    op.create_index('ix_incidents_tenant_run', 'incidents', ['tenant_id', 'llm_run_id'], unique=False, postgresql_where=sa.text('llm_run_id IS NOT NULL'))
    op.create_index('ix_incidents_tenant_state_created', 'incidents', ['tenant_id', 'lifecycle_state', 'created_at', 'incident_id'], unique=False)
    op.create_table('incident_events',
    sa.Column('incident_id', sa.UUID(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('entry_type', sa.String(length=32), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source_event_id', sa.UUID(), nullable=True),
    sa.Column('data', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=True),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('incident_id', 'sequence', name=op.f('pk_incident_events'))
    )
    op.create_index('ix_incident_events_tenant_incident', 'incident_events', ['tenant_id', 'incident_id'], unique=False)
    op.create_table('budgets',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('budget_type', sa.String(length=16), nullable=False),
    sa.Column('entity_id', sa.String(length=256), nullable=False),
    sa.Column('daily_limit_micros', sa.BigInteger(), nullable=True),
    sa.Column('monthly_limit_micros', sa.BigInteger(), nullable=True),
    sa.Column('warn_threshold_pct', sa.Integer(), nullable=False),
    sa.Column('hard_limit_enabled', sa.Boolean(), nullable=False),
    sa.Column('event_id', sa.UUID(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'budget_type', 'entity_id', name=op.f('pk_budgets'))
    )
    op.create_table('cost_anomalies',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('event_id', sa.UUID(), nullable=False),
    sa.Column('anomaly_type', sa.String(length=32), nullable=False),
    sa.Column('entity_type', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.String(length=256), nullable=False),
    sa.Column('current_micros', sa.BigInteger(), nullable=False),
    sa.Column('expected_micros', sa.BigInteger(), nullable=False),
    sa.Column('deviation_pct', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('threshold', sa.Numeric(precision=20, scale=6), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('window_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('detected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('incident_id', sa.UUID(), nullable=True),
    sa.PrimaryKeyConstraint('tenant_id', 'event_id', name=op.f('pk_cost_anomalies'))
    )
    op.create_index('ix_cost_anomalies_tenant_detected', 'cost_anomalies', ['tenant_id', 'detected_at'], unique=False)
    op.create_table('outbox',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('topic', sa.String(length=255), nullable=False),
    sa.Column('key', sa.LargeBinary(), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )


def downgrade() -> None:
    op.drop_table('outbox')
    op.drop_index('ix_cost_anomalies_tenant_detected', table_name='cost_anomalies')
    op.drop_table('cost_anomalies')
    op.drop_table('budgets')
    op.drop_index('ix_incident_events_tenant_incident', table_name='incident_events')
    op.drop_table('incident_events')
    op.drop_index('ix_incidents_tenant_state_created', table_name='incidents')
    op.drop_index('ix_incidents_tenant_run', table_name='incidents')
    op.drop_index('ix_incidents_tenant_resolved', table_name='incidents')
    op.drop_index('ix_incidents_tenant_fingerprint', table_name='incidents')
    op.drop_index('ix_incidents_tenant_created', table_name='incidents')
    op.drop_index('ix_incidents_open_last_event', table_name='incidents')
    op.drop_table('incidents')
    op.drop_table('processed_events')
    op.drop_index('ix_killswitch_events_tenant_killswitch', table_name='killswitch_events')
    op.drop_index('ix_killswitch_events_seq', table_name='killswitch_events')
    op.drop_index('ix_killswitch_events_incident', table_name='killswitch_events')
    op.drop_table('killswitch_events')
    op.drop_index('ix_cost_events_tenant_run', table_name='cost_events')
    op.drop_index('ix_cost_events_tenant_occurred', table_name='cost_events')
    op.drop_index('ix_cost_events_seq', table_name='cost_events')
    op.drop_table('cost_events')
