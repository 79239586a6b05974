"""Tables written by the analytics service (docs/architecture.md#services, docs/product/costs.md): rollups, baselines, snapshots."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, PrimaryKeyConstraint, String
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from guard_storage.models.base import Base

TENANT = String(64)
DIMENSION = String(256)


class CostRollupHourly(Base):
    """Spend per tenant × feature × model × user × UTC hour. Empty dimensions are ''."""

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
    input_tokens: Mapped[int] = mapped_column(BigInteger)
    output_tokens: Mapped[int] = mapped_column(BigInteger)


class CostRollupDaily(Base):
    """Spend per tenant × feature × model × user × UTC day."""

    __tablename__ = "cost_rollups_daily"
    __table_args__ = (PrimaryKeyConstraint("tenant_id", "day", "feature_tag", "model", "user_id"),)

    tenant_id: Mapped[str] = mapped_column(TENANT)
    day: Mapped[datetime]
    feature_tag: Mapped[str] = mapped_column(DIMENSION)
    model: Mapped[str] = mapped_column(DIMENSION)
    user_id: Mapped[str] = mapped_column(DIMENSION)
    cost_micros: Mapped[int] = mapped_column(BigInteger)
    request_count: Mapped[int] = mapped_column(BigInteger)
    input_tokens: Mapped[int] = mapped_column(BigInteger)
    output_tokens: Mapped[int] = mapped_column(BigInteger)


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


class IncidentRollupHourly(Base):
    """Incidents per tenant × category × severity × cause × UTC hour.

    Every measure is about the incidents *created* in the hour: how many, their cost impact, how
    many of them are resolved and their summed time to resolution (microseconds).
    """

    __tablename__ = "incident_rollups_hourly"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "bucket", "category", "severity", "cause_type"),
    )

    tenant_id: Mapped[str] = mapped_column(TENANT)
    bucket: Mapped[datetime]
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
