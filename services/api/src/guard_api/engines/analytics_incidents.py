"""Patterns, recurrence, cost impact and metrics over incidents (docs/product/analytics.md). Pure."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from guard_api.engines.analytics_numbers import half_up, micros_usd, whole_ms
from guard_contracts.enums import Severity

#: A severity spike: open incidents of these severities created within the last hour.
SPIKE_SEVERITIES = (Severity.CRITICAL.value, Severity.HIGH.value)
SPIKE_WINDOW = timedelta(hours=1)
#: Newest incident ids listed per pattern.
PATTERN_IDS = 10


@dataclass(frozen=True, slots=True)
class PatternGroup:
    """Incidents of the window sharing one dimension, as the repository groups them: a category
    (``category_cluster``), a severity of ``SPIKE_SEVERITIES`` among the open incidents
    (``guard_contracts.enums.OPEN_STATES``) created in the last ``SPIKE_WINDOW``
    (``severity_spike``), or a non-empty LLM run id (``cascade_failure``)."""

    pattern_type: str
    dimension: str
    count: int
    incident_ids: Sequence[uuid.UUID]  # newest first (created_at, then id), at most PATTERN_IDS


def _cluster(n: int, _dimension: str) -> float:
    return min(0.5 + 0.1 * (n - 3), 0.95)


def _spike(n: int, severity: str) -> float:
    return min((0.8 if severity == Severity.CRITICAL else 0.7) + 0.05 * (n - 3), 0.98)


def _cascade(n: int, _dimension: str) -> float:
    return min(0.75 + 0.1 * (n - 2), 0.95)


#: Pattern type (in the answer's order): the least count that makes a pattern, its confidence.
PATTERN_RULES: dict[str, tuple[int, Callable[[int, str], float]]] = {
    "category_cluster": (3, _cluster),
    "severity_spike": (3, _spike),
    "cascade_failure": (2, _cascade),
}


def patterns(groups: Sequence[PatternGroup], limit: int) -> list[dict[str, Any]]:
    """category_cluster, then severity_spike, then cascade_failure; each count desc, then
    dimension, at most ``limit`` of each. The repository may send only each type's ``limit``
    largest groups: the least count keeps a prefix of that order, so the answer is the same."""
    out: list[dict[str, Any]] = []
    for kind, (least, confidence) in PATTERN_RULES.items():
        found = sorted(
            (g for g in groups if g.pattern_type == kind and g.count >= least),
            key=lambda g: (-g.count, g.dimension),
        )
        out += [
            {
                "pattern_type": kind,
                "dimension": g.dimension,
                "count": g.count,
                "incident_ids": [str(i) for i in g.incident_ids[:PATTERN_IDS]],
                "confidence": half_up(confidence(g.count, g.dimension)),
            }
            for g in found[:limit]
        ]
    return out


@dataclass(frozen=True, slots=True)
class RecurrenceGroup:
    """One (category, fingerprint) group as the repository aggregates it."""

    category: str
    fingerprint: str
    total: int
    distinct_days: int
    first_at: datetime
    last_at: datetime
    recent_ids: Sequence[uuid.UUID]  # newest first, at most 5
    reopened: int
    common_method: str | None


def recurring(groups: Sequence[RecurrenceGroup], limit: int) -> list[dict[str, Any]]:
    """Groups total desc (then category, fingerprint), with occurrences per distinct day."""
    ranked = sorted(groups, key=lambda g: (-g.total, g.category, g.fingerprint))[:limit]
    return [
        {
            "category": g.category,
            "fingerprint": g.fingerprint,
            "total_occurrences": g.total,
            "distinct_days": g.distinct_days,
            "occurrences_per_day": half_up(Decimal(g.total) / max(g.distinct_days, 1)),
            "first_occurrence": g.first_at.isoformat(),
            "last_occurrence": g.last_at.isoformat(),
            "recent_incident_ids": [str(i) for i in g.recent_ids[:5]],
            "reopened_count": g.reopened,
            "common_resolution_method": g.common_method,
        }
        for g in ranked
    ]


@dataclass(frozen=True, slots=True)
class CostImpactRow:
    category: str
    resolution_method: str | None
    incident_count: int
    total_micros: int


def cost_impact(rows: Sequence[CostImpactRow], limit: int) -> tuple[list[dict[str, Any]], int]:
    """Summaries sum desc (then category, method); returns them and their total in micros."""
    ranked = sorted(rows, key=lambda r: (-r.total_micros, r.category, r.resolution_method or ""))[
        :limit
    ]
    summaries = [
        {
            "category": r.category,
            "resolution_method": r.resolution_method,
            "incident_count": r.incident_count,
            "total_cost_impact": micros_usd(r.total_micros),
            "avg_cost_impact": half_up(Decimal(r.total_micros) / r.incident_count / 1_000_000),
        }
        for r in ranked
    ]
    return summaries, sum(r.total_micros for r in ranked)


#: SLA targets by final severity (docs/product/analytics.md#metrics defaults), in seconds.
DEFAULT_SLA_SECONDS = {"critical": 3600, "high": 4 * 3600, "medium": 24 * 3600, "low": 72 * 3600}

DEFINITIONS = {
    "time_to_ack": "Acknowledged at minus created at, over incidents that were acknowledged.",
    "time_to_resolution": "Resolved at minus created at, over resolved incidents "
    "(auto-resolved included).",
    "time_to_containment": "First stopped or frozen action minus created at, over incidents "
    "with such an action.",
    "median_and_p90": "Linear-interpolated percentiles of the durations, in milliseconds.",
    "sla_met": "Resolved within the target of its final severity "
    "(critical 1 h, high 4 h, medium 24 h, low 72 h unless configured).",
    "sla_breached": "Resolved after its target, or still open for longer than its target.",
    "sla_compliance_rate": "Met / (met + breached) × 100, null when both are 0.",
    "active_count": "Incidents ACTIVE or ACKED.",
    "window": "Incidents created at or after now minus window_days.",
}


@dataclass(frozen=True, slots=True)
class MetricsAggregate:
    """What the repository computes in one pass; durations in milliseconds (None = no data)."""

    counts: dict[str, int]
    ack: tuple[Decimal | None, float | None, float | None]
    resolution: tuple[Decimal | None, float | None, float | None]
    containment: tuple[Decimal | None, float | None]
    sla_met: int
    sla_breached: int


def _ms(value: Decimal | float | None) -> int | None:
    return None if value is None else whole_ms(value)


def metrics(agg: MetricsAggregate) -> dict[str, Any]:
    judged = agg.sla_met + agg.sla_breached
    compliance = half_up(Decimal(agg.sla_met) * 100 / judged) if judged else None
    return {
        **agg.counts,
        "avg_time_to_ack_ms": _ms(agg.ack[0]),
        "median_time_to_ack_ms": _ms(agg.ack[1]),
        "p90_time_to_ack_ms": _ms(agg.ack[2]),
        "avg_time_to_resolution_ms": _ms(agg.resolution[0]),
        "median_time_to_resolution_ms": _ms(agg.resolution[1]),
        "p90_time_to_resolution_ms": _ms(agg.resolution[2]),
        "avg_time_to_containment_ms": _ms(agg.containment[0]),
        "median_time_to_containment_ms": _ms(agg.containment[1]),
        "sla_met_count": agg.sla_met,
        "sla_breached_count": agg.sla_breached,
        "sla_compliance_rate": compliance,
        "definitions": DEFINITIONS,
    }
