"""Tables written by the analytics service (SPEC §1, §4): rollups, baselines, snapshots."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, PrimaryKeyConstraint, String
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
    """How far each incremental job has read its source, and when its snapshot last advanced."""

    __tablename__ = "analytics_watermarks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger)
    advanced_at: Mapped[datetime]
