"""ingest stream time per tenant and incident topic (event-time idle sweep)

Revision ID: 0005_ingest_watermarks
Revises: 0004_open_incident_indexes
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_ingest_watermarks"
down_revision: str | None = "0004_open_incident_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ingest_watermarks",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=255), nullable=False),
        sa.Column("kafka_partition", sa.Integer(), nullable=False),
        sa.Column("stream_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("tenant_id", "topic", name=op.f("pk_ingest_watermarks")),
    )


def downgrade() -> None:
    op.drop_table("ingest_watermarks")
