"""Tables written only by the notifier service (docs/notifications.md).

A channel is created, disabled and deleted by the notifier when it applies the gateway's
commands; the delivery ledger holds one row per message to send, created in the transaction that
consumed the incident change, so a restart neither loses nor repeats a message.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from guard_storage.models.base import Base, created_at_column

TENANT = String(64)


class NotificationChannel(Base):
    """Where a tenant's notifications go. ``secret`` signs deliveries; no reader ever returns it."""

    __tablename__ = "notification_channels"
    __table_args__ = (
        CheckConstraint("kind IN ('webhook','slack')", name="kind"),
        CheckConstraint("status IN ('active','disabled','deleted')", name="status"),
        Index("ix_notification_channels_tenant_status", "tenant_id", "status"),
        PrimaryKeyConstraint("tenant_id", "channel_id"),
    )

    tenant_id: Mapped[str] = mapped_column(TENANT)
    channel_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime]
    #: First final failure since the last success; a channel failing this long is disabled.
    failing_since: Mapped[datetime | None]
    #: The rate-limit window in progress: when it started and how many messages it let through.
    window_started_at: Mapped[datetime | None]
    window_sent: Mapped[int] = mapped_column(Integer, server_default="0")


class NotificationSubscription(Base):
    """A channel's filters: which changes of which incidents it wants (empty = all)."""

    __tablename__ = "notification_subscriptions"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "channel_id"),
        ForeignKeyConstraint(
            ["tenant_id", "channel_id"],
            ["notification_channels.tenant_id", "notification_channels.channel_id"],
            ondelete="CASCADE",
        ),
    )

    tenant_id: Mapped[str] = mapped_column(TENANT)
    channel_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    change_types: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    min_severity: Mapped[str | None] = mapped_column(String(16))
    categories: Mapped[list[str]] = mapped_column(ARRAY(String(32)))


class NotificationDelivery(Base):
    """The ledger: one row per (channel, incident change), digest window or test message.

    ``delivery_id`` is the ``webhook-id`` of every attempt; ``payload`` is fixed when the row is
    written (a digest's when its window has closed), so every attempt sends the same body.
    """

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        CheckConstraint("kind IN ('change','digest','test')", name="kind"),
        CheckConstraint(
            "status IN ('pending','delivered','failed','digested','cancelled')", name="status"
        ),
        PrimaryKeyConstraint("tenant_id", "delivery_id"),
        ForeignKeyConstraint(
            ["tenant_id", "channel_id"],
            ["notification_channels.tenant_id", "notification_channels.channel_id"],
            ondelete="CASCADE",
        ),
        # Also the index the cascade from a deleted channel uses.
        Index(
            "ix_notification_deliveries_channel_created", "tenant_id", "channel_id", "created_at"
        ),
        Index(
            "ix_notification_deliveries_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
        Index(
            "ix_notification_deliveries_pending_incident",
            "tenant_id",
            "channel_id",
            "incident_id",
            "seq",
            postgresql_where=text("status = 'pending'"),
        ),
    )

    tenant_id: Mapped[str] = mapped_column(TENANT)
    delivery_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    #: Ledger order: a channel receives one incident's changes in this order.
    #: Not a unique key (an identity is unique anyway, and a distributed table's unique keys
    #: must include tenant_id): docs/operations-scaling.md.
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True), index=True)
    channel_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    source_event_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    incident_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    change_type: Mapped[str | None] = mapped_column(String(32))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    #: For a digest: how many changes of its window it stands for.
    digest_count: Mapped[int] = mapped_column(Integer, server_default="0")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    #: When the incident change happened (for the change-to-delivery latency).
    change_occurred_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
