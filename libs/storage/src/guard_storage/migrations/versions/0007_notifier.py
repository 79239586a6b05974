"""notifier tables: channels, subscriptions, delivery ledger

Revision ID: 0007_notifier
Revises: 0006_exports_history
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0007_notifier'
down_revision: str | None = '0006_exports_history'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('notification_channels',
    sa.Column('channel_id', sa.UUID(), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('secret', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('disabled_reason', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=256), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('failing_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('window_started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('window_sent', sa.Integer(), server_default='0', nullable=False),
    sa.CheckConstraint("kind IN ('webhook','slack')", name=op.f('ck_notification_channels_kind')),
    sa.CheckConstraint("status IN ('active','disabled','deleted')", name=op.f('ck_notification_channels_status')),
    sa.PrimaryKeyConstraint('channel_id', name=op.f('pk_notification_channels'))
    )
    op.create_index('ix_notification_channels_tenant_status', 'notification_channels', ['tenant_id', 'status'], unique=False)
    op.create_table('notification_deliveries',
    sa.Column('delivery_id', sa.UUID(), nullable=False),
    sa.Column('seq', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('channel_id', sa.UUID(), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('source_event_id', sa.UUID(), nullable=True),
    sa.Column('incident_id', sa.UUID(), nullable=True),
    sa.Column('change_type', sa.String(length=32), nullable=True),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('digest_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('change_occurred_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('change','digest','test')", name=op.f('ck_notification_deliveries_kind')),
    sa.CheckConstraint("status IN ('pending','delivered','failed','digested','cancelled')", name=op.f('ck_notification_deliveries_status')),
    sa.ForeignKeyConstraint(['channel_id'], ['notification_channels.channel_id'], name=op.f('fk_notification_deliveries_channel_id_notification_channels'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('delivery_id', name=op.f('pk_notification_deliveries')),
    sa.UniqueConstraint('seq', name=op.f('uq_notification_deliveries_seq'))
    )
    op.create_index('ix_notification_deliveries_channel_created', 'notification_deliveries', ['channel_id', 'created_at'], unique=False)
    op.create_index('ix_notification_deliveries_due', 'notification_deliveries', ['next_attempt_at'], unique=False, postgresql_where=sa.text("status = 'pending'"))
    op.create_index('ix_notification_deliveries_pending_incident', 'notification_deliveries', ['channel_id', 'incident_id', 'seq'], unique=False, postgresql_where=sa.text("status = 'pending'"))
    op.create_table('notification_subscriptions',
    sa.Column('channel_id', sa.UUID(), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('change_types', postgresql.ARRAY(sa.String(length=32)), nullable=False),
    sa.Column('min_severity', sa.String(length=16), nullable=True),
    sa.Column('categories', postgresql.ARRAY(sa.String(length=32)), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['notification_channels.channel_id'], name=op.f('fk_notification_subscriptions_channel_id_notification_channels'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('channel_id', name=op.f('pk_notification_subscriptions'))
    )


def downgrade() -> None:
    op.drop_table('notification_subscriptions')
    op.drop_index('ix_notification_deliveries_pending_incident', table_name='notification_deliveries', postgresql_where=sa.text("status = 'pending'"))
    op.drop_index('ix_notification_deliveries_due', table_name='notification_deliveries', postgresql_where=sa.text("status = 'pending'"))
    op.drop_index('ix_notification_deliveries_channel_created', table_name='notification_deliveries')
    op.drop_table('notification_deliveries')
    op.drop_index('ix_notification_channels_tenant_status', table_name='notification_channels')
    op.drop_table('notification_channels')
