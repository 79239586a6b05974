"""Wire shapes of the incident analytics answers: patterns, recurrence, cost impact, metrics and
the historical series (docs/api/README.md).

Amounts in USD are JSON numbers rounded half up (2 decimals, or 6 for exact totals); instants are
RFC 3339 strings as ``datetime.isoformat`` writes them (``+00:00``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from guard_contracts.enums import Category, ResolutionMethod

#: An instant serialised with ``isoformat()`` (``2026-03-02T12:30:00+00:00``), as the answers
#: have always carried it.
IsoInstant = Annotated[
    datetime,
    PlainSerializer(lambda d: d.isoformat(), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
Ratio = Annotated[float, Field(ge=0, le=1, description="0–1, 2 decimals.")]
Percent = Annotated[float, Field(description="Percent, 2 decimals.")]
Usd = Annotated[float, Field(description="USD, rounded half up.")]


class PublicModel(BaseModel):
    """Answers are closed: a key the code adds without the model is a failing test, not a
    silently undocumented field."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class _Generated(PublicModel):
    generated_at: IsoInstant = Field(description="The `now` the answer was computed for.")


# --- patterns -------------------------------------------------------------------------------


class PatternPublic(PublicModel):
    pattern_type: Literal["category_cluster", "severity_spike", "cascade_failure"]
    dimension: str = Field(description="The category, severity or run id the incidents share.")
    count: int = Field(ge=0)
    incident_ids: list[uuid.UUID] = Field(max_length=10, description="Newest first, at most 10.")
    confidence: Ratio


class PatternsPublic(_Generated):
    patterns: list[PatternPublic] = Field(
        description="category_cluster, then severity_spike, then cascade_failure; each count desc."
    )
    incidents_analyzed: int = Field(ge=0)
    window_hours: int


# --- recurrence -----------------------------------------------------------------------------


class RecurrenceGroupPublic(PublicModel):
    category: Category
    fingerprint: str
    total_occurrences: int = Field(ge=0)
    distinct_days: int = Field(ge=0)
    occurrences_per_day: float = Field(description="total / max(distinct_days, 1), 2 decimals.")
    first_occurrence: IsoInstant
    last_occurrence: IsoInstant
    recent_incident_ids: list[uuid.UUID] = Field(max_length=5, description="Newest first.")
    reopened_count: int = Field(ge=0, description="Incidents pointing back via recurrence_of.")
    common_resolution_method: ResolutionMethod | None


class RecurringPublic(_Generated):
    groups: list[RecurrenceGroupPublic] = Field(description="total_occurrences desc.")
    total_recurring: int = Field(ge=0, description="Sum over the returned groups.")
    baseline_days: int


# --- cost impact ----------------------------------------------------------------------------


class CostImpactSummaryPublic(PublicModel):
    category: Category
    resolution_method: ResolutionMethod | None
    incident_count: int = Field(ge=0)
    total_cost_impact: Usd
    avg_cost_impact: Usd


class CostImpactPublic(_Generated):
    summaries: list[CostImpactSummaryPublic] = Field(description="total_cost_impact desc.")
    total_cost_impact: Usd = Field(description="Over the returned rows.")
    baseline_days: int


# --- metrics --------------------------------------------------------------------------------

Millis = Annotated[int | None, Field(description="Milliseconds; null when there is no data.")]


class MetricsPublic(_Generated):
    total_count: int = Field(ge=0)
    active_count: int = Field(ge=0, description="ACTIVE or ACKED.")
    acked_count: int = Field(ge=0)
    resolved_count: int = Field(ge=0)
    critical_count: int = Field(ge=0)
    high_count: int = Field(ge=0)
    medium_count: int = Field(ge=0)
    low_count: int = Field(ge=0)
    avg_time_to_ack_ms: Millis
    median_time_to_ack_ms: Millis
    p90_time_to_ack_ms: Millis
    avg_time_to_resolution_ms: Millis
    median_time_to_resolution_ms: Millis
    p90_time_to_resolution_ms: Millis
    avg_time_to_containment_ms: Millis
    median_time_to_containment_ms: Millis
    sla_met_count: int = Field(ge=0)
    sla_breached_count: int = Field(ge=0)
    sla_compliance_rate: Percent | None = Field(description="Null when nothing was judged.")
    definitions: dict[str, str] = Field(description="Metric name → how it is computed.")
    window_days: int


# --- historical -----------------------------------------------------------------------------

Granularity = Literal["day", "week", "month"]


class _Historical(_Generated):
    granularity: Granularity
    window_days: int
    last_updated: IsoInstant | None = Field(
        description="When the incident rollup last advanced; null before its first run."
    )


class TrendPointPublic(PublicModel):
    period: str = Field(description="Bucket start, YYYY-MM-DD (UTC; weeks start on Monday).")
    incident_count: int = Field(ge=0)
    resolved_count: int = Field(ge=0)
    avg_resolution_time_ms: int | None = Field(description="Null when none resolved.")


class HistoricalTrendPublic(_Historical):
    points: list[TrendPointPublic] = Field(description="Ascending; empty buckets are zeros.")
    total_incidents: int = Field(ge=0)


class DistributionItemPublic(PublicModel):
    dimension: Literal["category", "severity", "cause_type"]
    value: str
    count: int = Field(ge=0)
    percentage: Percent


class HistoricalDistributionPublic(_Historical):
    by_category: list[DistributionItemPublic] = Field(description="count desc.")
    by_severity: list[DistributionItemPublic]
    by_cause_type: list[DistributionItemPublic]
    total_incidents: int = Field(ge=0)


class CostTrendPointPublic(PublicModel):
    period: str = Field(description="Bucket start, YYYY-MM-DD (UTC; weeks start on Monday).")
    total_cost: Usd
    incident_count: int = Field(ge=0)
    avg_cost_per_incident: Usd = Field(description="0 when the bucket has no incident.")


class HistoricalCostTrendPublic(_Historical):
    points: list[CostTrendPointPublic] = Field(description="Ascending; empty buckets are zeros.")
    total_cost: Usd
    total_incidents: int = Field(ge=0)
