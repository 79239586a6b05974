"""exporter tables: export jobs

Revision ID: 0003_exports
Revises: 0002_analytics
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003_exports'
down_revision: str | None = '0002_analytics'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('export_jobs',
    sa.Column('export_id', sa.UUID(), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('incident_id', sa.UUID(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('requested_by', sa.String(length=256), nullable=False),
    sa.Column('export_reason', sa.Text(), nullable=True),
    sa.Column('prepared_for', sa.String(length=256), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('content_type', sa.String(length=128), nullable=True),
    sa.Column('filename', sa.String(length=256), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('size_bytes', sa.BigInteger(), nullable=True),
    sa.Column('artifact', sa.LargeBinary(), nullable=True),
    sa.Column('artifact_path', sa.Text(), nullable=True),
    sa.Column('signing_key_id', sa.String(length=16), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('pending','rendering','completed','failed')", name=op.f('ck_export_jobs_status')),
    sa.PrimaryKeyConstraint('export_id', name=op.f('pk_export_jobs'))
    )
    op.create_index('ix_export_jobs_tenant_incident', 'export_jobs', ['tenant_id', 'incident_id'], unique=False)
    op.create_table('export_signing_keys',
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('algorithm', sa.String(length=16), nullable=False),
    sa.Column('public_key_pem', sa.Text(), nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('key_id', name=op.f('pk_export_signing_keys'))
    )


def downgrade() -> None:
    op.drop_table('export_signing_keys')
    op.drop_index('ix_export_jobs_tenant_incident', table_name='export_jobs')
    op.drop_table('export_jobs')
