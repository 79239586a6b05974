"""Tables written by the analytics service (docs/architecture.md#services, docs/product/costs.md): rollups, baselines, snapshots."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, PrimaryKeyConstraint, String, Text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from guard_storage.models.base import Base

TENANT = String(64)
DIMENSION = String(256)


class CostRollupHourly(Base):
    """Spend per tenant × feature × model × user × UTC hour. Empty dimensions are ''.

    The only rollup that keeps the combinations: daily questions read the per-dimension daily
    rollup (docs/operations-scaling.md, "The rollup shapes")."""

    __tablename__ = "cost_rollups_hourly"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "bucket", "feature_tag", "model", "user_id"),
    )

    tenant_id: Mapped[str] = mapped_column(TENANT)
    bucket: Mapped[datetime]
    feature_tag: Mapped[str] = mapped_column(DIMENSION)
    model: Mapped[str] = mapped_column(DIMENSION)
    user_id: Mapped[str] = mapped_column(DIMENSION)
    cost_micros: Mapped[int] = mapped_column(BigInteger)
    request_count: Mapped[int] = mapped_column(BigInteger)


class AnalyticsWatermark(Base):
    """How far each incremental job has read its source, and when its snapshot last advanced.

    ``pending_position``/``pending_xmax`` close the out-of-order-commit gap: seqs up to
    ``pending_position`` were allocated before transaction id ``pending_xmax`` existed, so once
    every transaction older than it has finished (``pg_snapshot_xmin ≥ pending_xmax``) no row
    with a seq at or below it can still appear, and the job may read up to it.
    """

    __tablename__ = "analytics_watermarks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger)
    pending_position: Mapped[int | None] = mapped_column(BigInteger)
    pending_xmax: Mapped[int | None] = mapped_column(BigInteger)
    advanced_at: Mapped[datetime]


class IncidentRollupDaily(Base):
    """Incidents per tenant × UTC day × category × severity × cause (trend and distribution).

    Every measure is about the incidents *created* on the day: how many, their cost impact, how
    many of them are resolved and their summed time to resolution (microseconds). Trends are
    bucketed by day, week or month, so a year's window reads at most 365 days of rows.
    """

    __tablename__ = "incident_rollups_daily"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "day", "category", "severity", "cause_type"),
    )

    tenant_id: Mapped[str] = mapped_column(TENANT)
    day: Mapped[datetime]
    category: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    cause_type: Mapped[str] = mapped_column(String(16))
    created_count: Mapped[int] = mapped_column(BigInteger)
    created_cost_micros: Mapped[int] = mapped_column(BigInteger)
    resolved_count: Mapped[int] = mapped_column(BigInteger)
    resolution_us_sum: Mapped[int] = mapped_column(BigInteger)


class PublishedAnomaly(Base):
    """Every anomaly analytics has published, so each threshold fires once per entity and period."""

    __tablename__ = "analytics_published_anomalies"
    __table_args__ = (PrimaryKeyConstraint("tenant_id", "event_id"),)

    tenant_id: Mapped[str] = mapped_column(TENANT)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    anomaly_type: Mapped[str] = mapped_column(String(32))
    entity_type: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[str] = mapped_column(DIMENSION)
    period: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime]


class CostRollupTenantHourly(Base):
    """Spend per tenant × UTC hour: today's total and the expected-so-far curve read a day of rows.

    (docs/operations-scaling.md: the rollup shapes and which answer reads which.)"""

    __tablename__ = "cost_rollups_tenant_hourly"
    __table_args__ = (PrimaryKeyConstraint("tenant_id", "bucket"),)

    tenant_id: Mapped[str] = mapped_column(TENANT)
    bucket: Mapped[datetime]
    cost_micros: Mapped[int] = mapped_column(BigInteger)
    request_count: Mapped[int] = mapped_column(BigInteger)


class CostRollupDimensionDaily(Base):
    """Spend per tenant × UTC day × one dimension's value.

    ``dimension`` is ``tenant_id`` (value '', the tenant's total), ``feature_tag``, ``model`` or
    ``user_id`` (value '' when the event had none), so a day holds a few dozen rows per tenant
    whatever the number of feature × model × user combinations."""

    __tablename__ = "cost_rollups_dimension_daily"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "day", "dimension", "value"),
        # One item's days: its first day and its last week are probes, whatever the history.
        Index("ix_cost_rollups_dimension_daily_item", "tenant_id", "dimension", "value", "day"),
    )

    tenant_id: Mapped[str] = mapped_column(TENANT)
    day: Mapped[datetime]
    dimension: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(DIMENSION)
    cost_micros: Mapped[int] = mapped_column(BigInteger)
    request_count: Mapped[int] = mapped_column(BigInteger)


class IncidentMetricDaily(Base):
    """Incidents created per tenant × UTC day × severity × lifecycle state, for the metrics answer.

    Durations are kept whole (microseconds, one array element per incident), so medians and p90s
    over any set of days are exact ``percentile_cont`` over the merged arrays, not estimates.
    ``open_created`` holds the creation instants of unresolved incidents (SLA breach is judged
    against the request's ``now``)."""

    __tablename__ = "incident_rollups_metric_daily"
    __table_args__ = (PrimaryKeyConstraint("tenant_id", "day", "severity", "lifecycle_state"),)

    tenant_id: Mapped[str] = mapped_column(TENANT)
    day: Mapped[datetime]
    severity: Mapped[str] = mapped_column(String(16))
    lifecycle_state: Mapped[str] = mapped_column(String(16))
    created_count: Mapped[int] = mapped_column(BigInteger)
    ack_us: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))
    resolution_us: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))
    containment_us: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))
    open_created: Mapped[list[datetime]] = mapped_column(ARRAY(DateTime(timezone=True)))


class IncidentRecurrenceDaily(Base):
    """Incidents created per tenant × UTC day × category × fingerprint, for recurrence.

    The five newest of the day (instant and id, newest first) and the resolution methods with
    their counts merge across days into the answer's newest five and most common method."""

    __tablename__ = "incident_rollups_recurrence_daily"
    __table_args__ = (PrimaryKeyConstraint("tenant_id", "day", "category", "fingerprint"),)

    tenant_id: Mapped[str] = mapped_column(TENANT)
    day: Mapped[datetime]
    category: Mapped[str] = mapped_column(String(32))
    fingerprint: Mapped[str] = mapped_column(Text)
    created_count: Mapped[int] = mapped_column(BigInteger)
    first_at: Mapped[datetime]
    last_at: Mapped[datetime]
    recent_at: Mapped[list[datetime]] = mapped_column(ARRAY(DateTime(timezone=True)))
    recent_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    reopened_count: Mapped[int] = mapped_column(BigInteger)
    methods: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    method_counts: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))


class IncidentCostDaily(Base):
    """Incidents with a cost per tenant × UTC day × category × resolution method ('' = none)."""

    __tablename__ = "incident_rollups_cost_daily"
    __table_args__ = (PrimaryKeyConstraint("tenant_id", "day", "category", "resolution_method"),)

    tenant_id: Mapped[str] = mapped_column(TENANT)
    day: Mapped[datetime]
    category: Mapped[str] = mapped_column(String(32))
    resolution_method: Mapped[str] = mapped_column(String(32))
    incident_count: Mapped[int] = mapped_column(BigInteger)
    cost_micros: Mapped[int] = mapped_column(BigInteger)
