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


@dataclass(slots=True)
class _Totals:
    created: int = 0
    cost_micros: int = 0
    resolved: int = 0
    resolution_us: int = 0


def _by_bucket(
    rows: Sequence[IncidentDay], start: datetime, end: datetime, granularity: Granularity
) -> dict[int, _Totals]:
    """Every bucket of the window (empty ones too, so trends have no gaps), each row's measures
    added to its bucket in one pass."""
    totals = {b: _Totals() for b in buckets(start, end, granularity)}
    for row in rows:
        t = totals[bucket_start(row.day, granularity)]
        t.created += row.created_count
        t.cost_micros += row.cost_micros
        t.resolved += row.resolved_count
        t.resolution_us += row.resolution_us_sum
    return totals


def trend(
    rows: Sequence[IncidentDay], start: datetime, end: datetime, granularity: Granularity
) -> dict[str, Any]:
    points = [
        {
            "period": label(bucket),
            "incident_count": t.created,
            "resolved_count": t.resolved,
            "avg_resolution_time_ms": whole_ms(Decimal(t.resolution_us) / t.resolved / 1000)
            if t.resolved
            else None,
        }
        for bucket, t in _by_bucket(rows, start, end, granularity).items()
    ]
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
    points = [
        {
            "period": label(bucket),
            "total_cost": micros_usd(t.cost_micros),
            "incident_count": t.created,
            "avg_cost_per_incident": half_up(Decimal(t.cost_micros) / t.created / 1_000_000)
            if t.created
            else 0.0,
        }
        for bucket, t in _by_bucket(rows, start, end, granularity).items()
    ]
    return {
        "points": points,
        "total_cost": micros_usd(sum(r.cost_micros for r in rows)),
        "total_incidents": sum(r.created_count for r in rows),
    }
