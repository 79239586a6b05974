"""Incident analytics rules (docs/product/analytics.md): buckets, patterns, recurrence, metrics."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guard_api.engines import analytics_history as history
from guard_api.engines.analytics_incidents import (
    PATTERN_IDS,
    PATTERN_RULES,
    CostImpactRow,
    MetricsAggregate,
    PatternGroup,
    RecurrenceGroup,
    cost_impact,
    metrics,
    patterns,
    recurring,
)
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

NOW = datetime(2026, 3, 10, 12, 30, tzinfo=UTC)  # a Tuesday


def test_weeks_start_on_monday_and_months_on_the_first() -> None:
    sunday = datetime(2026, 3, 1, 23, 59, tzinfo=UTC)
    assert label(bucket_start(sunday, Granularity.WEEK)) == "2026-02-23"
    assert label(bucket_start(sunday + timedelta(minutes=1), Granularity.WEEK)) == "2026-03-02"
    assert label(bucket_start(sunday, Granularity.MONTH)) == "2026-03-01"
    assert label(bucket_start(sunday, Granularity.DAY)) == "2026-03-01"


def test_month_buckets_cross_a_year_and_a_leap_february() -> None:
    start = datetime(2027, 12, 20, tzinfo=UTC)
    found = [label(b) for b in buckets(start, datetime(2028, 3, 1, tzinfo=UTC), Granularity.MONTH)]
    assert found == ["2027-12-01", "2028-01-01", "2028-02-01", "2028-03-01"]


def _midnight(ordinal: int) -> datetime:
    return datetime.combine(date.fromordinal(ordinal), time(), UTC)


@given(
    start=st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    days=st.integers(7, 365),
    grain=st.sampled_from(list(Granularity)),
)
def test_buckets_cover_the_window_contiguously(
    start: datetime, days: int, grain: Granularity
) -> None:
    end = start + timedelta(days=days)
    found = [_midnight(b) for b in buckets(start, end, grain)]  # day ordinals as UTC midnights
    assert found[0] <= start
    assert found[-1] <= end
    assert found == sorted(set(found))
    assert _midnight(bucket_start(start, grain)) == found[0]
    assert _midnight(bucket_start(end, grain)) == found[-1]
    for a, b in itertools.pairwise(found):
        # each bucket ends where the next begins: the moment before b falls in bucket a
        assert _midnight(bucket_start(b - timedelta(microseconds=1), grain)) == a
    if grain is Granularity.WEEK:
        assert {b.weekday() for b in found} == {0}
    if grain is Granularity.MONTH:
        assert {b.day for b in found} == {1}


def test_rounding_is_half_up_once() -> None:
    assert half_up(Decimal("0.125")) == 0.13
    assert half_up(2.675) == 2.68  # via the decimal string, not the binary float
    assert whole_ms(Decimal("1500.5")) == 1501
    assert pct(1, 3) == 33.33
    assert pct(1, 0) == 0.0


def pattern(kind: str, dimension: str, count: int) -> PatternGroup:
    ids = [uuid.UUID(int=k) for k in range(count, 0, -1)][:PATTERN_IDS]  # newest first
    return PatternGroup(kind, dimension, count, ids)


def test_category_cluster_needs_three_and_grows_by_a_tenth() -> None:
    groups = [
        pattern("category_cluster", "RATE_LIMIT", 5),
        pattern("category_cluster", "FREEZE", 2),
    ]
    found = patterns(groups, 10)
    assert [(p["pattern_type"], p["dimension"], p["count"], p["confidence"]) for p in found] == [
        ("category_cluster", "RATE_LIMIT", 5, 0.7)
    ]
    assert found[0]["incident_ids"] == [str(i) for i in groups[0].incident_ids]


def test_confidences_are_capped() -> None:
    groups = [
        pattern("category_cluster", "RATE_LIMIT", 30),
        pattern("severity_spike", "critical", 30),
        pattern("cascade_failure", "r1", 30),
    ]
    found = {p["pattern_type"]: p for p in patterns(groups, 10)}
    assert found["category_cluster"]["confidence"] == 0.95
    assert found["severity_spike"]["confidence"] == 0.98
    assert found["cascade_failure"]["confidence"] == 0.95
    assert len(found["category_cluster"]["incident_ids"]) == 10


def test_a_high_spike_starts_lower_than_a_critical_one() -> None:
    found = patterns(
        [pattern("severity_spike", "high", 3), pattern("severity_spike", "critical", 5)], 10
    )
    assert [(p["dimension"], p["confidence"]) for p in found] == [("critical", 0.9), ("high", 0.7)]


def test_cascade_is_two_incidents_of_one_run_and_types_keep_their_order() -> None:
    groups = [
        pattern("cascade_failure", "r1", 2),
        pattern("cascade_failure", "r2", 1),
        pattern("severity_spike", "critical", 3),
        pattern("category_cluster", "FREEZE", 3),
    ]
    found = patterns(groups, 10)
    assert [p["pattern_type"] for p in found] == [
        "category_cluster",
        "severity_spike",
        "cascade_failure",
    ]
    assert found[-1]["dimension"] == "r1"
    assert found[-1]["confidence"] == 0.75


def test_limit_applies_per_pattern_type_and_ties_rank_by_dimension() -> None:
    groups = [pattern("category_cluster", c, n) for c, n in {"B": 4, "A": 5, "C": 4}.items()]
    groups += [pattern("cascade_failure", r, 2) for r in ("run-b", "run-a", "Run-c")]
    found = patterns(groups, 2)
    assert [(p["dimension"], p["count"]) for p in found] == [
        ("A", 5),
        ("B", 4),
        ("Run-c", 2),  # by code point: upper case first
        ("run-a", 2),
    ]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(list(PATTERN_RULES)),
            st.text("abAB-", min_size=1, max_size=3),
            st.integers(1, 12),
        ),
        unique_by=lambda g: (g[0], g[1]),
    ),
    st.integers(1, 5),
)
def test_only_each_types_largest_groups_are_needed(
    found: list[tuple[str, str, int]], limit: int
) -> None:
    """The repository may send each type's ``limit`` largest groups only: same answer."""
    groups = [pattern(kind, dim, n) for kind, dim, n in found]
    largest = [
        g
        for kind in PATTERN_RULES
        for g in sorted(
            (g for g in groups if g.pattern_type == kind), key=lambda g: (-g.count, g.dimension)
        )[:limit]
    ]
    assert patterns(largest, limit) == patterns(groups, limit)


def group(fingerprint: str, total: int, days: int) -> RecurrenceGroup:
    return RecurrenceGroup(
        category="RATE_LIMIT",
        fingerprint=fingerprint,
        total=total,
        distinct_days=days,
        first_at=NOW - timedelta(days=3),
        last_at=NOW,
        recent_ids=[uuid.uuid4() for _ in range(min(total, 7))],
        reopened=total - 1,
        common_method="manual",
    )


def test_recurring_groups_rank_by_total_with_rate_per_distinct_day() -> None:
    found = recurring([group("a", 3, 0), group("b", 7, 3)], 10)
    assert [g["fingerprint"] for g in found] == ["b", "a"]
    assert found[0]["occurrences_per_day"] == 2.33
    assert found[1]["occurrences_per_day"] == 3.0  # max(distinct_days, 1)
    assert len(found[0]["recent_incident_ids"]) == 5


def test_cost_impact_total_is_over_returned_rows() -> None:
    rows = [
        CostImpactRow("BUDGET_EXCEEDED", "manual", 3, 10_000_000),
        CostImpactRow("RATE_LIMIT", None, 2, 5_000_001),
        CostImpactRow("FREEZE", "auto", 1, 1),
    ]
    summaries, total = cost_impact(rows, 2)
    assert [s["category"] for s in summaries] == ["BUDGET_EXCEEDED", "RATE_LIMIT"]
    assert summaries[0]["avg_cost_impact"] == 3.33
    assert summaries[1]["total_cost_impact"] == 5.000001
    assert total == 15_000_001


def aggregate(met: int, breached: int) -> MetricsAggregate:
    return MetricsAggregate(
        counts={"total_count": met + breached},
        ack=(Decimal("1000.5"), 1000.25, None),
        resolution=(None, None, None),
        containment=(Decimal(2), 2.0),
        sla_met=met,
        sla_breached=breached,
    )


@pytest.mark.parametrize(("met", "breached", "rate"), [(2, 1, 66.67), (0, 0, None), (0, 4, 0.0)])
def test_sla_compliance(met: int, breached: int, rate: float | None) -> None:
    body = metrics(aggregate(met, breached))
    assert body["sla_compliance_rate"] == rate
    assert (body["sla_met_count"], body["sla_breached_count"]) == (met, breached)


def test_durations_are_whole_milliseconds_and_null_without_data() -> None:
    body = metrics(aggregate(1, 0))
    assert (body["avg_time_to_ack_ms"], body["median_time_to_ack_ms"]) == (1001, 1000)
    assert body["p90_time_to_ack_ms"] is None
    assert body["avg_time_to_resolution_ms"] is None
    assert set(body["definitions"]) >= {"time_to_ack", "sla_compliance_rate"}


def part(at: datetime, category: str = "RATE_LIMIT", created: int = 1, **kw: int) -> Any:
    return history.IncidentDay(
        day=at,
        category=category,
        severity="high",
        cause_type="SYSTEM",
        created_count=created,
        cost_micros=kw.get("cost", 0),
        resolved_count=kw.get("resolved", 0),
        resolution_us_sum=kw.get("us", 0),
    )


def test_trend_fills_empty_days_with_zeros() -> None:
    start = NOW - timedelta(days=3)
    rows = [part(start + timedelta(hours=1), created=2, resolved=2, us=3_000_001)]
    body = history.trend(rows, start, NOW, Granularity.DAY)
    assert [p["period"] for p in body["points"]] == [
        "2026-03-07",
        "2026-03-08",
        "2026-03-09",
        "2026-03-10",
    ]
    assert body["points"][0] == {
        "period": "2026-03-07",
        "incident_count": 2,
        "resolved_count": 2,
        "avg_resolution_time_ms": 1500,
    }
    assert body["points"][1]["avg_resolution_time_ms"] is None
    assert body["total_incidents"] == 2


def test_distribution_percentages_and_order() -> None:
    rows = [part(NOW, "A", 1), part(NOW, "B", 2), part(NOW, "C", 0)]
    body = history.distribution(rows)
    assert [(d["value"], d["count"], d["percentage"]) for d in body["by_category"]] == [
        ("B", 2, 66.67),
        ("A", 1, 33.33),
    ]
    assert body["by_severity"] == [
        {"dimension": "severity", "value": "high", "count": 3, "percentage": 100.0}
    ]


def test_cost_trend_average_is_zero_for_an_empty_bucket() -> None:
    start = NOW - timedelta(days=8)
    rows = [part(NOW, created=3, cost=10_000_000)]
    body = history.cost_trend(rows, start, NOW, Granularity.WEEK)
    assert [p["period"] for p in body["points"]] == ["2026-03-02", "2026-03-09"]
    assert body["points"][0]["avg_cost_per_incident"] == 0.0
    assert body["points"][1]["avg_cost_per_incident"] == 3.33
    assert (body["total_cost"], body["total_incidents"]) == (10.0, 3)


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_micros_usd_divides_exactly_like_the_decimal_path(micros: int) -> None:
    assert micros_usd(micros) == float(Decimal(micros) / 1_000_000)
    assert micros_usd(micros, 2) == float(
        (Decimal(micros) / 1_000_000).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    )


def test_trend_and_cost_trend_total_each_bucket_of_a_year() -> None:
    start = NOW - timedelta(days=365)
    rows = [
        part(start + timedelta(days=d, hours=3), created=2, cost=1_500_001, resolved=1, us=2_000)
        for d in range(0, 365, 30)
    ]
    for granularity, points in ((Granularity.DAY, 366), (Granularity.MONTH, 13)):
        body = history.trend(rows, start, NOW, granularity)
        assert len(body["points"]) == points
        assert sum(p["incident_count"] for p in body["points"]) == 2 * len(rows)
        assert sum(p["resolved_count"] for p in body["points"]) == len(rows)
        costs = history.cost_trend(rows, start, NOW, granularity)
        assert sum(p["incident_count"] for p in costs["points"]) == 2 * len(rows)
        assert costs["total_cost"] == micros_usd(1_500_001 * len(rows))
    one = history.cost_trend(rows[:1], start, NOW, Granularity.DAY)["points"][0]
    assert (one["total_cost"], one["avg_cost_per_incident"]) == (1.500001, 0.75)
