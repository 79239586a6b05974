"""partial indexes on open incidents for /active pages and counts

Revision ID: 0004_open_incident_indexes
Revises: 0003_exports
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_open_incident_indexes"
down_revision: str | None = "0003_exports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("lifecycle_state IN ('ACTIVE', 'ACKED')")


def upgrade() -> None:
    op.create_index(
        "ix_incidents_open_tenant_created",
        "incidents",
        ["tenant_id", "created_at", "incident_id"],
        postgresql_where=OPEN,
    )
    op.create_index(
        "ix_incidents_open_tenant_severity_created",
        "incidents",
        ["tenant_id", "severity", "created_at", "incident_id"],
        postgresql_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index("ix_incidents_open_tenant_severity_created", table_name="incidents")
    op.drop_index("ix_incidents_open_tenant_created", table_name="incidents")
