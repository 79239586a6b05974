"""export history and audit-period exports; flag the development signing key

Revision ID: 0006_exports_history
Revises: 0004_open_incident_indexes
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006_exports_history"
down_revision: str | None = "0005_ingest_watermarks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column("export_jobs", "incident_id", existing_type=postgresql.UUID(), nullable=True)
    op.add_column(
        "export_jobs", sa.Column("parameters", postgresql.JSONB(astext_type=sa.Text()))
    )
    op.create_index(
        "ix_export_jobs_tenant_requested",
        "export_jobs",
        ["tenant_id", "requested_at", "export_id"],
    )
    op.add_column(
        "export_signing_keys",
        sa.Column("development", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("export_signing_keys", "development")
    op.drop_index("ix_export_jobs_tenant_requested", table_name="export_jobs")
    op.drop_column("export_jobs", "parameters")
    op.execute("DELETE FROM export_jobs WHERE incident_id IS NULL")
    op.alter_column("export_jobs", "incident_id", existing_type=postgresql.UUID(), nullable=False)
