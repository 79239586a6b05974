"""Wire shapes of ``/guard/costs/*``: summary, explained spend and cost anomalies
(docs/api/README.md). Money is in integer cents unless a name says otherwise."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import Field

from guard_contracts.api.analytics import IsoInstant, Percent, PublicModel
from guard_contracts.enums import AnomalyType

Cents = Annotated[int, Field(description="US cents (exact USD × 100, rounded half up once).")]
Trend = Literal["normal", "rising", "spike"]
_LAST_UPDATED = "When the cost rollup last advanced; null before its first run."


class CostSummaryPublic(PublicModel):
    tenant_id: str
    as_of: IsoInstant = Field(description="The `now` the answer was computed for.")
    last_updated: IsoInstant | None = Field(description=_LAST_UPDATED)
    today_cents: Cents
    month_to_date_cents: Cents
    expected_today_cents: Cents | None = Field(description="Null without a baseline.")
    deviation_pct: Percent | None = Field(description="Today against expected; null without one.")
    trend: Trend
    trend_message: str
    baseline_7d_days: int = Field(ge=0, le=7)
    baseline_7d_avg_cents: Cents | None
    baseline_7d_stddev_cents: Cents | None
    baseline_30d_days: int = Field(ge=0, le=30)
    baseline_30d_avg_cents: Cents | None
    baseline_30d_stddev_cents: Cents | None
    days_elapsed: int = Field(ge=1, le=31)
    days_in_month: int = Field(ge=28, le=31)
    daily_avg_cents: float = Field(description="Month to date / days elapsed, 2 decimals.")
    projected_month_cents: Cents
    days_until_budget_exhausted: int | None = Field(
        description="0 when nothing remains; null without a monthly budget or spend."
    )
    daily_budget_cents: Cents | None
    monthly_budget_cents: Cents | None
    daily_budget_pct: Percent | None = Field(description="May exceed 100.")
    monthly_budget_pct: Percent | None = Field(description="May exceed 100.")
    summary: str = Field(description="One sentence for a person.")


class ExplainedItemPublic(PublicModel):
    name: str = Field(description="`unclassified` / `anonymous` when the event carried none.")
    spend_cents: Cents
    requests: int = Field(ge=0)
    pct: float = Field(description="Share of the period's spend, 1 decimal.")
    trend: Trend
    trend_message: str


class ExplainedModelPublic(ExplainedItemPublic):
    display_name: str = Field(description="e.g. `claude-3-opus` → `Claude 3 Opus`.")


class CostExplainedPublic(PublicModel):
    tenant_id: str
    period: Literal["today", "7d", "30d"]
    period_start: IsoInstant
    period_end: IsoInstant
    last_updated: IsoInstant | None = Field(description=_LAST_UPDATED)
    total_cents: Cents
    by_feature: list[ExplainedItemPublic] = Field(max_length=10, description="spend desc, name.")
    by_model: list[ExplainedModelPublic] = Field(max_length=10)
    by_user: list[ExplainedItemPublic] = Field(max_length=10)
    largest_driver_type: Literal["feature", "model", "user"] | None
    largest_driver_name: str | None
    largest_driver_pct: float | None
    summary: str


class CostIncidentPublic(PublicModel):
    """One cost anomaly; severity is deliberately not shown."""

    id: uuid.UUID = Field(description="The anomaly event's id.")
    title: str
    trigger_type: AnomalyType
    status: Literal["resolved", "protected", "attention_needed"]
    current_cents: Cents
    threshold_cents: Cents
    overage_cents: Cents = Field(ge=0, description="max(0, current − threshold).")
    deviation_pct: Percent | None
    recommendation: str
    detected_at: IsoInstant
    resolved_at: IsoInstant | None
    incident_id: uuid.UUID | None = Field(description="The incident opened for it, if any.")


class CostIncidentsPublic(PublicModel):
    tenant_id: str
    incidents: list[CostIncidentPublic] = Field(description="Newest first.")
    total: int = Field(ge=0, description="Before `limit`.")
    include_resolved: bool
    generated_at: IsoInstant
