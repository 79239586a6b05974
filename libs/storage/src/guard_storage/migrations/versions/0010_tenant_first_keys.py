"""every tenant table keyed by tenant_id first

The tables that were still keyed by a bare id (incidents, incident_events, export_jobs, the three
notifier tables and the outbox) get a primary key that starts with tenant_id, the notifier's
foreign keys become (tenant_id, channel_id), and the two unique indexes on an identity column
(``killswitch_events.seq``, ``notification_deliveries.seq``) become plain ones: a table
distributed by tenant (Citus) may only have unique keys that include the tenant. The outbox gains
its tenant (the Kafka key it already carries). See docs/operations-scaling.md.

Revision ID: 0010_tenant_first_keys
Revises: 0009_incident_rollups_daily
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_tenant_first_keys"
down_revision: str | None = "0009_incident_rollups_daily"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PENDING = sa.text("status = 'pending'")
_FK_SUBSCRIPTIONS = "fk_notification_subscriptions_channel_id_notification_channels"
_FK_DELIVERIES = "fk_notification_deliveries_channel_id_notification_channels"
_FK_SUBSCRIPTIONS_TENANT = "fk_notification_subscriptions_tenant_id_notification_channels"
_FK_DELIVERIES_TENANT = "fk_notification_deliveries_tenant_id_notification_channels"


def _rekey(table: str, columns: list[str]) -> None:
    op.drop_constraint(f"pk_{table}", table, type_="primary")
    op.create_primary_key(f"pk_{table}", table, columns)


def upgrade() -> None:
    _rekey("incidents", ["tenant_id", "incident_id"])

    # The new key starts with (tenant_id, incident_id): the old index on them is redundant.
    op.drop_index("ix_incident_events_tenant_incident", table_name="incident_events")
    _rekey("incident_events", ["tenant_id", "incident_id", "sequence"])

    _rekey("export_jobs", ["tenant_id", "export_id"])

    op.drop_constraint(_FK_SUBSCRIPTIONS, "notification_subscriptions", type_="foreignkey")
    op.drop_constraint(_FK_DELIVERIES, "notification_deliveries", type_="foreignkey")
    # The notifier always copied the channel's tenant; make sure before the composite keys check it.
    for table in ("notification_subscriptions", "notification_deliveries"):
        op.execute(
            f"UPDATE {table} AS t SET tenant_id = c.tenant_id FROM notification_channels AS c "
            "WHERE c.channel_id = t.channel_id AND c.tenant_id <> t.tenant_id"
        )
    _rekey("notification_channels", ["tenant_id", "channel_id"])
    _rekey("notification_subscriptions", ["tenant_id", "channel_id"])
    _rekey("notification_deliveries", ["tenant_id", "delivery_id"])
    for table, name in (
        ("notification_subscriptions", _FK_SUBSCRIPTIONS_TENANT),
        ("notification_deliveries", _FK_DELIVERIES_TENANT),
    ):
        op.create_foreign_key(
            name,
            table,
            "notification_channels",
            ["tenant_id", "channel_id"],
            ["tenant_id", "channel_id"],
            ondelete="CASCADE",
        )
    op.drop_index(
        "ix_notification_deliveries_channel_created", table_name="notification_deliveries"
    )
    op.create_index(
        "ix_notification_deliveries_channel_created",
        "notification_deliveries",
        ["tenant_id", "channel_id", "created_at"],
    )
    op.drop_index(
        "ix_notification_deliveries_pending_incident",
        table_name="notification_deliveries",
        postgresql_where=_PENDING,
    )
    op.create_index(
        "ix_notification_deliveries_pending_incident",
        "notification_deliveries",
        ["tenant_id", "channel_id", "incident_id", "seq"],
        postgresql_where=_PENDING,
    )
    op.drop_constraint("uq_notification_deliveries_seq", "notification_deliveries", type_="unique")
    op.create_index("ix_notification_deliveries_seq", "notification_deliveries", ["seq"])

    op.drop_index("ix_killswitch_events_seq", table_name="killswitch_events")
    op.create_index("ix_killswitch_events_seq", "killswitch_events", ["seq"])

    # Every outbox row's Kafka key is its tenant id (guard_ingest.adapters.mapping).
    op.add_column("outbox", sa.Column("tenant_id", sa.String(length=64), nullable=True))
    op.execute("UPDATE outbox SET tenant_id = convert_from(key, 'UTF8')")
    op.alter_column("outbox", "tenant_id", existing_type=sa.String(length=64), nullable=False)
    _rekey("outbox", ["tenant_id", "id"])
    op.create_index("ix_outbox_id", "outbox", ["id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_id", table_name="outbox")
    _rekey("outbox", ["id"])
    op.drop_column("outbox", "tenant_id")

    op.drop_index("ix_killswitch_events_seq", table_name="killswitch_events")
    op.create_index("ix_killswitch_events_seq", "killswitch_events", ["seq"], unique=True)

    op.drop_index("ix_notification_deliveries_seq", table_name="notification_deliveries")
    op.create_unique_constraint(
        "uq_notification_deliveries_seq", "notification_deliveries", ["seq"]
    )
    op.drop_index(
        "ix_notification_deliveries_pending_incident",
        table_name="notification_deliveries",
        postgresql_where=_PENDING,
    )
    op.create_index(
        "ix_notification_deliveries_pending_incident",
        "notification_deliveries",
        ["channel_id", "incident_id", "seq"],
        postgresql_where=_PENDING,
    )
    op.drop_index(
        "ix_notification_deliveries_channel_created", table_name="notification_deliveries"
    )
    op.create_index(
        "ix_notification_deliveries_channel_created",
        "notification_deliveries",
        ["channel_id", "created_at"],
    )
    op.drop_constraint(_FK_DELIVERIES_TENANT, "notification_deliveries", type_="foreignkey")
    op.drop_constraint(_FK_SUBSCRIPTIONS_TENANT, "notification_subscriptions", type_="foreignkey")
    _rekey("notification_deliveries", ["delivery_id"])
    _rekey("notification_subscriptions", ["channel_id"])
    _rekey("notification_channels", ["channel_id"])
    for table, name in (
        ("notification_subscriptions", _FK_SUBSCRIPTIONS),
        ("notification_deliveries", _FK_DELIVERIES),
    ):
        op.create_foreign_key(
            name,
            table,
            "notification_channels",
            ["channel_id"],
            ["channel_id"],
            ondelete="CASCADE",
        )

    _rekey("export_jobs", ["export_id"])

    _rekey("incident_events", ["incident_id", "sequence"])
    op.create_index(
        "ix_incident_events_tenant_incident", "incident_events", ["tenant_id", "incident_id"]
    )

    _rekey("incidents", ["incident_id"])
