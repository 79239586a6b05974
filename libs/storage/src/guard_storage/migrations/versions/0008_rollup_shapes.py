"""rollups shaped for the questions asked; cost_events partitioned by month of occurred_at

Revision ID: 0008_rollup_shapes
Revises: 0007_notifier
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from guard_storage.partitions import DROP_FUNCTION, DROP_FUNCTIONS, ENSURE_FUNCTION

revision: str = "0008_rollup_shapes"
down_revision: str | None = "0007_notifier"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT = sa.String(length=64)
TS = sa.DateTime(timezone=True)


def _big(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.BigInteger(), nullable=False)


def _array(name: str, item: sa.types.TypeEngine) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, postgresql.ARRAY(item), nullable=False)


COST_COLUMNS = (
    "tenant_id, event_id, seq, occurred_at, run_id, step_index, agent_id, user_id, feature_tag, "
    "model, provider, input_tokens, output_tokens, cost_micros, duration_ms, status, ingested_at"
)
COST_INDEXES = ("ix_cost_events_seq", "ix_cost_events_tenant_occurred", "ix_cost_events_tenant_run")


def _cost_events(partitioned: bool) -> None:
    short = sa.String(length=256)
    op.create_table(
        "cost_events",
        sa.Column("tenant_id", TENANT, nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("occurred_at", TS, nullable=False),
        sa.Column("run_id", short, nullable=True),
        sa.Column("step_index", sa.Integer(), nullable=True),
        sa.Column("agent_id", short, nullable=True),
        sa.Column("user_id", short, nullable=True),
        sa.Column("feature_tag", short, nullable=True),
        sa.Column("model", short, nullable=False),
        sa.Column("provider", short, nullable=True),
        sa.Column("input_tokens", sa.BigInteger(), nullable=False),
        sa.Column("output_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cost_micros", sa.BigInteger(), nullable=False),
        sa.Column("duration_ms", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("ingested_at", TS, server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "event_id",
            *(("occurred_at",) if partitioned else ()),
            name=op.f("pk_cost_events"),
        ),
        **({"postgresql_partition_by": "RANGE (occurred_at)"} if partitioned else {}),  # type: ignore[arg-type]
    )
    op.create_index("ix_cost_events_seq", "cost_events", ["seq"], unique=not partitioned)
    op.create_index("ix_cost_events_tenant_occurred", "cost_events", ["tenant_id", "occurred_at"])
    op.create_index(
        "ix_cost_events_tenant_run",
        "cost_events",
        ["tenant_id", "run_id"],
        postgresql_where=sa.text("run_id IS NOT NULL"),
    )


def _swap_cost_events(partitioned: bool) -> None:
    """Move cost_events into a new table (partitioned or not), keeping every seq and the
    sequence's position (the analytics watermark is a seq)."""
    op.execute("ALTER TABLE cost_events RENAME TO cost_events_previous")
    op.execute("ALTER TABLE cost_events_previous RENAME CONSTRAINT pk_cost_events TO pk_cost_events_previous")
    for index in COST_INDEXES:
        op.execute(f"ALTER INDEX {index} RENAME TO {index}_previous")
    op.execute(
        "CREATE TEMP TABLE guard_cost_seq AS SELECT coalesce(pg_sequence_last_value("
        "pg_get_serial_sequence('cost_events_previous', 'seq')::regclass), 0) AS last"
    )
    op.execute("ALTER TABLE cost_events_previous ALTER COLUMN seq DROP IDENTITY")
    _cost_events(partitioned)
    if partitioned:
        op.execute(ENSURE_FUNCTION)
        op.execute(DROP_FUNCTION)
        op.execute("CREATE TABLE cost_events_default PARTITION OF cost_events DEFAULT")
        op.execute(
            "SELECT guard_cost_partitions_ensure(least(min(occurred_at), now()), "
            "now() + interval '3 months') FROM cost_events_previous"
        )
    op.execute(
        f"INSERT INTO cost_events ({COST_COLUMNS}) OVERRIDING SYSTEM VALUE "
        f"SELECT {COST_COLUMNS} FROM cost_events_previous"
    )
    op.execute(
        "SELECT setval(pg_get_serial_sequence('cost_events', 'seq'), greatest(last, 1), last > 0) "
        "FROM guard_cost_seq"
    )
    op.execute("DROP TABLE guard_cost_seq")
    op.execute("DROP TABLE cost_events_previous")


def _cost_event_keys() -> None:
    """The idempotency ledger: (tenant_id, event_id) unique across every partition."""
    op.create_table(
        "cost_event_keys",
        sa.Column("tenant_id", TENANT, nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("occurred_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "event_id", name=op.f("pk_cost_event_keys")),
    )
    op.create_index(
        "ix_cost_event_keys_occurred", "cost_event_keys", ["occurred_at"], postgresql_using="brin"
    )
    op.execute(
        "INSERT INTO cost_event_keys (tenant_id, event_id, occurred_at) "
        "SELECT tenant_id, event_id, occurred_at FROM cost_events ORDER BY occurred_at "
        "ON CONFLICT DO NOTHING"
    )


def upgrade() -> None:
    _swap_cost_events(partitioned=True)
    _cost_event_keys()
    op.create_table(
        "cost_rollups_tenant_hourly",
        sa.Column("tenant_id", TENANT, nullable=False),
        sa.Column("bucket", TS, nullable=False),
        _big("cost_micros"),
        _big("request_count"),
        sa.PrimaryKeyConstraint("tenant_id", "bucket", name=op.f("pk_cost_rollups_tenant_hourly")),
    )
    op.create_table(
        "cost_rollups_dimension_daily",
        sa.Column("tenant_id", TENANT, nullable=False),
        sa.Column("day", TS, nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=False),
        _big("cost_micros"),
        _big("request_count"),
        sa.PrimaryKeyConstraint(
            "tenant_id", "day", "dimension", "value", name=op.f("pk_cost_rollups_dimension_daily")
        ),
    )
    op.create_index(
        "ix_cost_rollups_dimension_daily_item",
        "cost_rollups_dimension_daily",
        ["tenant_id", "dimension", "value", "day"],
    )
    op.create_table(
        "incident_rollups_metric_daily",
        sa.Column("tenant_id", TENANT, nullable=False),
        sa.Column("day", TS, nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("lifecycle_state", sa.String(length=16), nullable=False),
        _big("created_count"),
        _array("ack_us", sa.BigInteger()),
        _array("resolution_us", sa.BigInteger()),
        _array("containment_us", sa.BigInteger()),
        _array("open_created", TS),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "day",
            "severity",
            "lifecycle_state",
            name=op.f("pk_incident_rollups_metric_daily"),
        ),
    )
    op.create_table(
        "incident_rollups_recurrence_daily",
        sa.Column("tenant_id", TENANT, nullable=False),
        sa.Column("day", TS, nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        _big("created_count"),
        sa.Column("first_at", TS, nullable=False),
        sa.Column("last_at", TS, nullable=False),
        _array("recent_at", TS),
        _array("recent_ids", postgresql.UUID(as_uuid=True)),
        _big("reopened_count"),
        _array("methods", sa.String(length=32)),
        _array("method_counts", sa.BigInteger()),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "day",
            "category",
            "fingerprint",
            name=op.f("pk_incident_rollups_recurrence_daily"),
        ),
    )
    op.create_table(
        "incident_rollups_cost_daily",
        sa.Column("tenant_id", TENANT, nullable=False),
        sa.Column("day", TS, nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("resolution_method", sa.String(length=32), nullable=False),
        _big("incident_count"),
        _big("cost_micros"),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "day",
            "category",
            "resolution_method",
            name=op.f("pk_incident_rollups_cost_daily"),
        ),
    )


    # Existing deployments: derive the new cost shapes from the rollups already kept (the cost
    # watermark does not move back); the incident shapes are filled by the analytics service's
    # start-up reconciliation like the hourly incident rollup.
    op.execute(
        "INSERT INTO cost_rollups_tenant_hourly "
        "SELECT tenant_id, bucket, sum(cost_micros), sum(request_count) "
        "FROM cost_rollups_hourly GROUP BY 1, 2"
    )
    op.execute(
        "INSERT INTO cost_rollups_dimension_daily "
        "SELECT tenant_id, day, CASE WHEN GROUPING(feature_tag) = 0 THEN 'feature_tag' "
        "WHEN GROUPING(model) = 0 THEN 'model' WHEN GROUPING(user_id) = 0 THEN 'user_id' "
        "ELSE 'tenant_id' END, coalesce(CASE WHEN GROUPING(feature_tag) = 0 THEN feature_tag END, "
        "CASE WHEN GROUPING(model) = 0 THEN model END, "
        "CASE WHEN GROUPING(user_id) = 0 THEN user_id END, ''), "
        "sum(cost_micros), sum(request_count) FROM cost_rollups_daily "
        "GROUP BY GROUPING SETS ((tenant_id, day), (tenant_id, day, feature_tag), "
        "(tenant_id, day, model), (tenant_id, day, user_id))"
    )


def downgrade() -> None:
    # Keep the first stored copy of any id the partitioned key let in twice (none when ingest
    # wrote through the ledger), so the unpartitioned key (tenant_id, event_id) holds.
    op.execute(
        "DELETE FROM cost_events AS c USING cost_event_keys AS k WHERE c.tenant_id = k.tenant_id "
        "AND c.event_id = k.event_id AND c.occurred_at <> k.occurred_at"
    )
    op.drop_table("cost_event_keys")
    _swap_cost_events(partitioned=False)
    for statement in DROP_FUNCTIONS:
        op.execute(statement)
    for table in (
        "incident_rollups_cost_daily",
        "incident_rollups_recurrence_daily",
        "incident_rollups_metric_daily",
        "cost_rollups_dimension_daily",
        "cost_rollups_tenant_hourly",
    ):
        op.drop_table(table)
