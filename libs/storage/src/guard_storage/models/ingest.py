"""Tables written by the ingest service (docs/architecture.md#services): raw events, incidents, timeline, budgets.

Money is integer micro-dollars (``*_micros``). Every table is tenant-scoped; every primary key
starts with ``tenant_id`` so one tenant's rows cluster together and the tables can be distributed
by tenant (docs/operations-scaling.md).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Identity,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from guard_storage.models.base import Base, created_at_column

TENANT = String(64)
SHORT = String(256)


class CostEvent(Base):
    """One billed model call (``cost.recorded``)."""

    __tablename__ = "cost_events"
    __table_args__ = (
        # Partitioned by month of occurred_at (guard_storage.partitions), so the key must carry
        # it; uniqueness of (tenant_id, event_id) is kept by CostEventKey, which ingest writes
        # first (docs/operations-scaling.md#growth-partitions-and-retention).
        PrimaryKeyConstraint("tenant_id", "event_id", "occurred_at"),
        Index("ix_cost_events_tenant_occurred", "tenant_id", "occurred_at"),
        Index(
            "ix_cost_events_tenant_run",
            "tenant_id",
            "run_id",
            postgresql_where=text("run_id IS NOT NULL"),
        ),
        Index("ix_cost_events_seq", "seq"),
        {"postgresql_partition_by": "RANGE (occurred_at)"},
    )

    tenant_id: Mapped[str] = mapped_column(TENANT)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    #: Monotonic insertion order; analytics advances its watermark along it.
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True))
    occurred_at: Mapped[datetime]
    run_id: Mapped[str | None] = mapped_column(SHORT)
    step_index: Mapped[int | None] = mapped_column(Integer)
    agent_id: Mapped[str | None] = mapped_column(SHORT)
    user_id: Mapped[str | None] = mapped_column(SHORT)
    feature_tag: Mapped[str | None] = mapped_column(SHORT)
    model: Mapped[str] = mapped_column(SHORT)
    provider: Mapped[str | None] = mapped_column(SHORT)
    input_tokens: Mapped[int]
    output_tokens: Mapped[int]
    cost_micros: Mapped[int]
    duration_ms: Mapped[int | None]
    status: Mapped[str | None] = mapped_column(String(16))
    ingested_at: Mapped[datetime] = created_at_column()


class CostEventKey(Base):
    """The idempotency ledger of cost events: one row per (tenant, event id) ever stored.

    Not partitioned, so the key is unique across every month of ``cost_events``: ingest inserts
    the key first and stores only the events whose key is new, whatever their ``occurred_at``.
    ``occurred_at`` is the stored event's, so retention prunes the keys of the partitions it
    drops (BRIN: keys arrive in roughly time order, and the index costs next to nothing).
    """

    __tablename__ = "cost_event_keys"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "event_id"),
        Index("ix_cost_event_keys_occurred", "occurred_at", postgresql_using="brin"),
    )

    tenant_id: Mapped[str] = mapped_column(TENANT)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    occurred_at: Mapped[datetime]


class KillswitchEvent(Base):
    """A ``killswitch.triggered`` or ``killswitch.released`` event, raw payload kept for proof."""

    __tablename__ = "killswitch_events"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "event_id"),
        Index("ix_killswitch_events_tenant_killswitch", "tenant_id", "killswitch_id"),
        Index("ix_killswitch_events_incident", "incident_id"),
        # Not unique: seq is an identity, and a distributed table's unique keys must include
        # tenant_id (docs/operations-scaling.md).
        Index("ix_killswitch_events_seq", "seq"),
    )

    tenant_id: Mapped[str] = mapped_column(TENANT)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True))
    event_type: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime]
    killswitch_id: Mapped[str] = mapped_column(SHORT)
    trigger_type: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str | None] = mapped_column(String(16))
    run_id: Mapped[str | None] = mapped_column(SHORT)
    agent_id: Mapped[str | None] = mapped_column(SHORT)
    policy_id: Mapped[str | None] = mapped_column(SHORT)
    rule: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[str | None] = mapped_column(SHORT)
    calls_affected: Mapped[int] = mapped_column(BigInteger, server_default="0")
    cost_delta_micros: Mapped[int | None]
    error_rate: Mapped[float | None] = mapped_column(Numeric(7, 6))
    severity: Mapped[str | None] = mapped_column(String(16))
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    incident_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    ingested_at: Mapped[datetime] = created_at_column()


class ProcessedEvent(Base):
    """Idempotency ledger for the low-volume event types (commands, budgets, anomalies)."""

    __tablename__ = "processed_events"
    __table_args__ = (PrimaryKeyConstraint("tenant_id", "event_id"),)

    tenant_id: Mapped[str] = mapped_column(TENANT)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    event_type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(32))
    processed_at: Mapped[datetime] = created_at_column()


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "incident_id"),
        CheckConstraint("lifecycle_state IN ('ACTIVE','ACKED','RESOLVED')", name="lifecycle_state"),
        CheckConstraint("severity IN ('low','medium','high','critical')", name="severity"),
        Index("ix_incidents_tenant_created", "tenant_id", "created_at", "incident_id"),
        Index(
            "ix_incidents_tenant_state_created",
            "tenant_id",
            "lifecycle_state",
            "created_at",
            "incident_id",
        ),
        Index("ix_incidents_tenant_resolved", "tenant_id", "resolved_at", "incident_id"),
        Index("ix_incidents_tenant_fingerprint", "tenant_id", "fingerprint", "last_event_at"),
        Index(
            "ix_incidents_tenant_run",
            "tenant_id",
            "llm_run_id",
            postgresql_where=text("llm_run_id IS NOT NULL"),
        ),
        Index(
            "ix_incidents_open_last_event",
            "last_event_at",
            postgresql_where=text("lifecycle_state <> 'RESOLVED'"),
        ),
        # /active pages and counts read only open incidents; without these a large tenant's page
        # walks every resolved row of ix_incidents_tenant_created (81 ms → 0.2 ms measured).
        Index(
            "ix_incidents_open_tenant_created",
            "tenant_id",
            "created_at",
            "incident_id",
            postgresql_where=text("lifecycle_state IN ('ACTIVE', 'ACKED')"),
        ),
        Index(
            "ix_incidents_open_tenant_severity_created",
            "tenant_id",
            "severity",
            "created_at",
            "incident_id",
            postgresql_where=text("lifecycle_state IN ('ACTIVE', 'ACKED')"),
        ),
    )

    tenant_id: Mapped[str] = mapped_column(TENANT)
    incident_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    lifecycle_state: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32))
    cause_type: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    source_type: Mapped[str] = mapped_column(String(16))
    fingerprint: Mapped[str] = mapped_column(Text)
    llm_run_id: Mapped[str | None] = mapped_column(SHORT)
    affected_agent_id: Mapped[str | None] = mapped_column(SHORT)
    policy_id: Mapped[str | None] = mapped_column(SHORT)
    trigger_type: Mapped[str | None] = mapped_column(String(32))
    calls_affected: Mapped[int] = mapped_column(BigInteger, server_default="0")
    event_count: Mapped[int] = mapped_column(BigInteger, server_default="0")
    cost_impact_micros: Mapped[int] = mapped_column(BigInteger, server_default="0")
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    first_event_at: Mapped[datetime]
    last_event_at: Mapped[datetime]
    acked_at: Mapped[datetime | None]
    acked_by: Mapped[str | None] = mapped_column(SHORT)
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(SHORT)
    resolution_method: Mapped[str | None] = mapped_column(String(32))
    recurrence_of: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    is_synthetic: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    #: First time a stopped/frozen action was attached (docs/product/analytics.md#metrics time to containment).
    contained_at: Mapped[datetime | None]
    #: Number of timeline rows, and the hash of the last one (head of the chain).
    timeline_length: Mapped[int] = mapped_column(Integer, server_default="0")
    timeline_head: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime]


class IncidentEvent(Base):
    """One timeline entry; ``hash = sha256(prev_hash ‖ canonical JSON)`` chains them per incident."""

    __tablename__ = "incident_events"
    # The key also serves one incident's whole timeline in order.
    __table_args__ = (PrimaryKeyConstraint("tenant_id", "incident_id", "sequence"),)

    tenant_id: Mapped[str] = mapped_column(TENANT)
    incident_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    sequence: Mapped[int] = mapped_column(Integer)
    entry_type: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime]
    source_event_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = created_at_column()


class Budget(Base):
    """The latest ``budget.set`` per (tenant, budget_type, entity)."""

    __tablename__ = "budgets"
    __table_args__ = (PrimaryKeyConstraint("tenant_id", "budget_type", "entity_id"),)

    tenant_id: Mapped[str] = mapped_column(TENANT)
    budget_type: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[str] = mapped_column(SHORT)
    daily_limit_micros: Mapped[int | None]
    monthly_limit_micros: Mapped[int | None]
    warn_threshold_pct: Mapped[int] = mapped_column(Integer)
    hard_limit_enabled: Mapped[bool] = mapped_column(Boolean)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    occurred_at: Mapped[datetime]
    updated_at: Mapped[datetime] = created_at_column()


class CostAnomaly(Base):
    """A ``cost.anomaly_detected`` as received from analytics, linked to its incident."""

    __tablename__ = "cost_anomalies"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "event_id"),
        Index("ix_cost_anomalies_tenant_detected", "tenant_id", "detected_at"),
    )

    tenant_id: Mapped[str] = mapped_column(TENANT)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    anomaly_type: Mapped[str] = mapped_column(String(32))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(SHORT)
    current_micros: Mapped[int]
    expected_micros: Mapped[int]
    deviation_pct: Mapped[float | None] = mapped_column(Numeric(14, 2))
    threshold: Mapped[float] = mapped_column(Numeric(20, 6))
    severity: Mapped[str] = mapped_column(String(16))
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    detected_at: Mapped[datetime]
    incident_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class OutboxMessage(Base):
    """Messages to publish after the transaction that produced them commits (transactional outbox).

    Each row is one tenant's message (its Kafka key is the tenant), keyed (tenant_id, id) like
    every tenant table so it can live on the shard of the incidents written with it; the relay
    reads in ``id`` order across tenants (docs/operations-scaling.md).
    """

    __tablename__ = "outbox"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "id"),
        Index("ix_outbox_id", "id"),
    )

    tenant_id: Mapped[str] = mapped_column(TENANT)
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True))
    topic: Mapped[str] = mapped_column(String(255))
    key: Mapped[bytes] = mapped_column(LargeBinary)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = created_at_column()


class IngestWatermark(Base):
    """Stream time per (tenant, incident topic): the latest ``occurred_at`` ingest has applied.

    Written in the transaction of the batch that advanced it; the idle sweep resolves an incident
    only once its tenant's stream time has passed the incident's deadline plus the allowed
    lateness (docs/adr/0001-event-time-idle-sweep.md). ``kafka_partition`` is the partition the
    tenant's events of that topic arrive on, to tell whether the consumer has caught up with it.
    """

    __tablename__ = "ingest_watermarks"
    __table_args__ = (PrimaryKeyConstraint("tenant_id", "topic"),)

    tenant_id: Mapped[str] = mapped_column(TENANT)
    topic: Mapped[str] = mapped_column(String(255))
    kafka_partition: Mapped[int] = mapped_column(Integer)
    stream_time: Mapped[datetime]
    updated_at: Mapped[datetime] = created_at_column()
