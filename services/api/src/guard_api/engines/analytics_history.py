"""Historical trend, distribution and cost trend from daily incident rollups (docs/product/analytics.md#historical). Pure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from guard_api.engines.analytics_numbers import (
    Granularity,
    bucket_start,
    buckets,
    half_up,
    label,
    micros_usd,
    pct,
    whole_ms,
)


@dataclass(frozen=True, slots=True)
class IncidentDay:
    """Incidents created on one UTC day (or an edge part of it) with one category/severity/cause."""

    day: datetime
    category: str
    severity: str
    cause_type: str
    created_count: int
    cost_micros: int
    resolved_count: int
    resolution_us_sum: int


def _by_bucket(
    rows: Sequence[IncidentDay], start: datetime, end: datetime, granularity: Granularity
) -> dict[datetime, list[IncidentDay]]:
    grouped: dict[datetime, list[IncidentDay]] = {b: [] for b in buckets(start, end, granularity)}
    for row in rows:
        grouped[bucket_start(row.day, granularity)].append(row)
    return grouped


def trend(
    rows: Sequence[IncidentDay], start: datetime, end: datetime, granularity: Granularity
) -> dict[str, Any]:
    points = []
    for bucket, items in _by_bucket(rows, start, end, granularity).items():
        resolved = sum(r.resolved_count for r in items)
        total_us = sum(r.resolution_us_sum for r in items)
        points.append(
            {
                "period": label(bucket),
                "incident_count": sum(r.created_count for r in items),
                "resolved_count": resolved,
                "avg_resolution_time_ms": whole_ms(Decimal(total_us) / resolved / 1000)
                if resolved
                else None,
            }
        )
    return {"points": points, "total_incidents": sum(r.created_count for r in rows)}


def _distribution(rows: Sequence[IncidentDay], dimension: str) -> list[dict[str, Any]]:
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[getattr(row, dimension)] += row.created_count
    total = sum(counts.values())
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [
        {"dimension": dimension, "value": value, "count": n, "percentage": pct(n, total)}
        for value, n in ranked
        if n
    ]


def distribution(rows: Sequence[IncidentDay]) -> dict[str, Any]:
    return {
        "by_category": _distribution(rows, "category"),
        "by_severity": _distribution(rows, "severity"),
        "by_cause_type": _distribution(rows, "cause_type"),
        "total_incidents": sum(r.created_count for r in rows),
    }


def cost_trend(
    rows: Sequence[IncidentDay], start: datetime, end: datetime, granularity: Granularity
) -> dict[str, Any]:
    points = []
    for bucket, items in _by_bucket(rows, start, end, granularity).items():
        count = sum(r.created_count for r in items)
        cost = sum(r.cost_micros for r in items)
        points.append(
            {
                "period": label(bucket),
                "total_cost": micros_usd(cost),
                "incident_count": count,
                "avg_cost_per_incident": half_up(Decimal(cost) / count / 1_000_000)
                if count
                else 0.0,
            }
        )
    return {
        "points": points,
        "total_cost": micros_usd(sum(r.cost_micros for r in rows)),
        "total_incidents": sum(r.created_count for r in rows),
    }
