"""Unit tests of the analytics engines of the API (pure; no services)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guard_api.engines import analytics_costs as costs
from guard_api.engines import analytics_history as history
from guard_api.engines.analytics_incidents import (
    CostImpactRow,
    MetricsAggregate,
    PatternGroup,
    cost_impact,
    metrics,
    patterns,
)
from guard_api.engines.analytics_numbers import Granularity

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@given(st.lists(st.tuples(st.sampled_from(["A", "B", "C", "D"]), st.integers(1, 50)), min_size=1))
def test_distribution_percentages_sum_to_about_100(counts: list[tuple[str, int]]) -> None:
    rows = [history.IncidentDay(T0, c, "low", "SYSTEM", n, 0, 0, 0) for c, n in counts]
    found = history.distribution(rows)["by_category"]
    assert abs(sum(item["percentage"] for item in found) - 100) <= 0.01 * len(found)
    assert [i["count"] for i in found] == sorted((i["count"] for i in found), reverse=True)


def test_empty_buckets_are_filled_with_zeros() -> None:
    now = datetime(2026, 3, 18, 9, tzinfo=UTC)
    rows = [history.IncidentDay(datetime(2026, 3, 4, 5, tzinfo=UTC), "A", "low", "SYSTEM", 2, 3_000_000, 1, 60_000_000)]  # fmt: skip
    result = history.trend(rows, now - timedelta(days=30), now, Granularity.WEEK)
    periods = [p["period"] for p in result["points"]]
    assert periods == ["2026-02-16", "2026-02-23", "2026-03-02", "2026-03-09", "2026-03-16"]
    assert [p["incident_count"] for p in result["points"]] == [0, 0, 2, 0, 0]
    assert result["points"][2]["avg_resolution_time_ms"] == 60_000
    assert result["points"][0]["avg_resolution_time_ms"] is None
    cost = history.cost_trend(rows, now - timedelta(days=30), now, Granularity.WEEK)
    assert cost["points"][2]["avg_cost_per_incident"] == 1.5
    assert cost["points"][0]["avg_cost_per_incident"] == 0.0


def test_pattern_confidences_follow_the_spec() -> None:
    ids = [uuid.uuid4() for _ in range(5)]
    groups = [
        PatternGroup("category_cluster", "RATE_LIMIT", 5, ids),
        PatternGroup("severity_spike", "critical", 5, ids),
        PatternGroup("cascade_failure", "run-1", 2, ids[:2]),
    ]
    found = {p["pattern_type"]: p for p in patterns(groups, 10)}
    assert found["category_cluster"]["confidence"] == 0.7  # n = 5
    assert found["severity_spike"]["confidence"] == 0.9  # 0.8 + 0.05 × 2
    assert found["cascade_failure"]["confidence"] == 0.75
    assert found["severity_spike"]["incident_ids"][0] == str(ids[0])


def test_cost_impact_ranks_by_sum_and_averages_to_cents() -> None:
    rows = [CostImpactRow("A", None, 3, 10_000_000), CostImpactRow("B", "manual", 1, 20_000_000)]
    summaries, total = cost_impact(rows, 1)
    assert [s["category"] for s in summaries] == ["B"]
    assert total == 20_000_000
    assert cost_impact(rows, 5)[0][1]["avg_cost_impact"] == 3.33


def test_metrics_compliance_is_null_without_judged_incidents() -> None:
    empty = MetricsAggregate({}, (None, None, None), (None, None, None), (None, None), 0, 0)
    assert metrics(empty)["sla_compliance_rate"] is None
    some = MetricsAggregate({}, (None, None, None), (None, None, None), (None, None), 2, 1)
    assert metrics(some)["sla_compliance_rate"] == 66.67
    assert set(metrics(some)["definitions"]) >= {"time_to_ack", "sla_compliance_rate"}


def test_projection_uses_the_real_month_length_and_budget_runway() -> None:
    feb = costs.projection(28_000_000, datetime(2026, 2, 14, 12, tzinfo=UTC), 100_000_000)
    assert (feb["days_in_month"], feb["days_elapsed"], feb["projected_month_cents"]) == (
        28,
        14,
        5600,
    )
    assert feb["days_until_budget_exhausted"] == 36  # (10000 − 2800) / 200 per day
    over = costs.projection(200_000_000, datetime(2026, 3, 10, tzinfo=UTC), 100_000_000)
    assert over["days_until_budget_exhausted"] == 0
    assert costs.projection(0, T0, 100_000_000)["days_until_budget_exhausted"] is None
    assert costs.projection(5, T0, None)["days_until_budget_exhausted"] is None


def test_budget_percent_may_exceed_100() -> None:
    assert costs.budget_pct(250_000_000, 100_000_000) == 250.0
    assert costs.budget_pct(1, None) is None


def test_expected_so_far_weights_the_current_hour_by_minutes() -> None:
    days = [datetime(2026, 3, d, tzinfo=UTC).date() for d in (1, 2)]
    hourly = {(days[0], 0): 100, (days[1], 0): 300, (days[0], 1): 60}
    now = datetime(2026, 3, 3, 1, 30, tzinfo=UTC)
    assert costs.expected_so_far(hourly, days, now) == pytest.approx(200 + 0.5 * 30)
    assert costs.expected_so_far(hourly, [], now) is None


def test_model_display_names() -> None:
    assert costs.display_model("claude-3-5-sonnet") == "Claude 3 5 Sonnet"
    assert costs.display_model("gpt-4o-mini") == "Gpt 4O Mini"


@given(st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=30))
def test_explained_percentages_of_all_items_sum_to_about_100(spends: list[int]) -> None:
    items = [costs.ItemSpend(f"f{i}", s, 1, None) for i, s in enumerate(spends[:10])]
    total = sum(i.spend_micros for i in items)
    found = costs.explained_items("feature", items, total, 1.0)
    if total:
        assert abs(sum(i["pct"] for i in found) - 100) <= 0.05 * len(found)
    assert [i["spend_cents"] for i in found] == sorted(
        (i["spend_cents"] for i in found), reverse=True
    )


def test_largest_driver_ties_prefer_feature_then_model() -> None:
    tops = {"feature": [{"name": "f", "pct": 50.0}], "model": [{"name": "m", "pct": 50.0}],
            "user": [{"name": "u", "pct": 60.0}]}  # fmt: skip
    assert costs.largest_driver(tops) == ("user", "u", 60.0)
    tops["user"][0]["pct"] = 50.0
    assert costs.largest_driver(tops) == ("feature", "f", 50.0)


def _record(**fields: object) -> costs.AnomalyRecord:
    base: dict[str, object] = {
        "event_id": "e", "anomaly_type": "budget_exceeded", "entity_type": "tenant",
        "entity_id": "t", "current_micros": 12_345_678, "threshold_micros": 10_000_000,
        "deviation_pct": 23.456, "window_end": T0 + timedelta(days=1), "detected_at": T0,
        "incident_id": None, "incident_state": None, "incident_resolved_at": None,
        "hard_limit_enabled": False,
    }  # fmt: skip
    base.update(fields)
    return costs.AnomalyRecord(**base)  # type: ignore[arg-type]


def test_anomaly_status_and_money() -> None:
    item = costs.anomaly_item(_record(), T0)
    assert (item["status"], item["current_cents"], item["overage_cents"]) == (
        "attention_needed",
        1235,
        235,
    )
    assert item["deviation_pct"] == 23.46
    assert "severity" not in item
    assert costs.anomaly_item(_record(hard_limit_enabled=True), T0)["status"] == "protected"
    ended = costs.anomaly_item(_record(), T0 + timedelta(days=2))
    assert (ended["status"], ended["resolved_at"]) == (
        "resolved",
        (T0 + timedelta(days=1)).isoformat(),
    )
    linked = _record(incident_id="i", incident_state="RESOLVED", incident_resolved_at=T0)
    assert costs.anomaly_item(linked, T0 + timedelta(days=2))["resolved_at"] == T0.isoformat()
    open_incident = _record(incident_id="i", incident_state="ACTIVE")
    assert costs.anomaly_item(open_incident, T0 + timedelta(days=2))["status"] == "attention_needed"


@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "anonymous", "z"]), st.integers(0, 5)),
        max_size=25,
    )
)
def test_the_listed_items_are_chosen_without_baselines_and_keep_their_order(
    spends: list[tuple[str, int]],
) -> None:
    # The gateway reads baselines only for these positions; listing them with or without their
    # baselines must give the same items in the same order.
    bare = [costs.ItemSpend(name, spend, 1, None) for name, spend in spends]
    with_baselines = [costs.ItemSpend(name, spend, 1, 2.0) for name, spend in spends]
    picked = costs.top_items(bare)
    assert len(picked) == min(len(spends), costs.TOP_ITEMS) == len(set(picked))
    ranked = sorted(bare, key=lambda i: (-i.spend_micros, i.name))[: costs.TOP_ITEMS]
    assert [bare[k] for k in picked] == ranked
    full = costs.explained_items("user", with_baselines, 100, 7.0)
    listed_first = costs.explained_items("user", [with_baselines[k] for k in picked], 100, 7.0)
    assert full == listed_first
