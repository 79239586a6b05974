"""Cost rules (docs/product/costs.md): expected so far, projection, explained items, anomaly status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guard_api.engines import analytics_costs as costs
from guard_contracts.money import micros_to_cents

NOW = datetime(2026, 2, 15, 2, 30, tzinfo=UTC)


def test_projection_uses_the_real_days_of_the_month() -> None:
    body = costs.projection(150_000_000, NOW, 500_000_000)  # $150 by 15 Feb, $500 budget
    assert body["days_elapsed"] == 15
    assert body["days_in_month"] == 28
    assert body["daily_avg_cents"] == 1000
    assert body["projected_month_cents"] == 28_000
    assert body["days_until_budget_exhausted"] == 35
    leap = costs.projection(150_000_000, NOW.replace(year=2028), None)
    assert leap["projected_month_cents"] == 29_000
    assert leap["days_until_budget_exhausted"] is None


def test_projection_floors_and_an_exhausted_budget_is_zero_days() -> None:
    body = costs.projection(100_000_000, datetime(2026, 3, 3, tzinfo=UTC), 90_000_000)
    assert body["projected_month_cents"] == 10_000 * 31 // 3
    assert body["days_until_budget_exhausted"] == 0
    assert costs.projection(0, NOW, 1_000_000)["days_until_budget_exhausted"] is None


@settings(derandomize=True, max_examples=300)
@given(
    mtd=st.integers(1, 10**12),
    day=st.integers(1, 28),
    budget=st.integers(0, 10**12),
)
def test_days_until_exhausted_never_overshoots_the_budget(mtd: int, day: int, budget: int) -> None:
    at = datetime(2026, 2, day, 12, tzinfo=UTC)
    body = costs.projection(mtd, at, budget)
    until = body["days_until_budget_exhausted"]
    # Cents as the rule computes them: half up (5000 micros is 1 cent; Python's round() says 0).
    mtd_cents = micros_to_cents(mtd)
    if mtd_cents == 0:
        assert until is None
        return
    assert until >= 0
    daily = Fraction(mtd_cents, day)
    assert mtd_cents + until * daily <= max(micros_to_cents(budget), mtd_cents)


def test_budget_pct_may_exceed_100() -> None:
    assert costs.budget_pct(150, 100) == 150.0
    assert costs.budget_pct(1, 3) == 33.33
    assert costs.budget_pct(5, None) is None


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("claude-3-5-sonnet", "Claude 3 5 Sonnet"),
        ("claude-3-haiku", "Claude 3 Haiku"),
        ("gpt-4o-mini", "Gpt 4O Mini"),
    ],
)
def test_model_display_names(raw: str, shown: str) -> None:
    assert costs.display_model(raw) == shown


def test_explained_items_top_ten_by_spend_then_name() -> None:
    items = [costs.ItemSpend(f"f{i:02d}", 1000, 1, None) for i in range(12)]
    items.append(costs.ItemSpend("big", 5000, 2, 1000.0))
    total = sum(i.spend_micros for i in items)
    found = costs.explained_items("feature", items, total, 1.0)
    assert [i["name"] for i in found] == ["big"] + [f"f{i:02d}" for i in range(9)]
    assert found[0]["pct"] == 29.4
    assert found[0]["trend"] == "spike"  # 5000 against 1000 expected: +400 %
    assert found[1]["trend"] == "normal"  # no baseline
    models = costs.explained_items("model", [costs.ItemSpend("claude-3-haiku", 1, 1, None)], 1, 1)
    assert models[0]["display_name"] == "Claude 3 Haiku"


def test_largest_driver_ties_prefer_feature_then_model() -> None:
    top = {"pct": 50.0, "name": "x"}
    assert costs.largest_driver({"feature": [top], "model": [top], "user": [top]})[0] == "feature"
    assert costs.largest_driver({"feature": [], "model": [top], "user": [top]})[0] == "model"
    higher = {"pct": 60.0, "name": "anonymous"}
    assert costs.largest_driver({"feature": [top], "model": [top], "user": [higher]}) == (
        "user",
        "anonymous",
        60.0,
    )
    assert costs.largest_driver({"feature": [], "model": [], "user": []}) == (None, None, None)


def record(**kw: object) -> costs.AnomalyRecord:
    values: dict[str, object] = {
        "event_id": "e1",
        "anomaly_type": "budget_exceeded",
        "entity_type": "tenant",
        "entity_id": "t1",
        "current_micros": 12_345_678,
        "threshold_micros": 10_000_000,
        "deviation_pct": 23.456,
        "window_end": NOW + timedelta(hours=3),
        "detected_at": NOW,
        "incident_id": "i1",
        "incident_state": "ACTIVE",
        "incident_resolved_at": None,
        "hard_limit_enabled": False,
    }
    return costs.AnomalyRecord(**(values | kw))  # type: ignore[arg-type]


def test_anomaly_item_amounts_and_no_severity() -> None:
    item = costs.anomaly_item(record(), NOW)
    assert (item["current_cents"], item["threshold_cents"], item["overage_cents"]) == (
        1235,
        1000,
        235,
    )
    assert item["deviation_pct"] == 23.46
    assert item["status"] == "attention_needed"
    assert "severity" not in item
    under = costs.anomaly_item(record(current_micros=1), NOW)
    assert under["overage_cents"] == 0


def test_anomaly_status() -> None:
    resolved_at = NOW - timedelta(minutes=5)
    by_incident = record(incident_state="RESOLVED", incident_resolved_at=resolved_at)
    assert costs.anomaly_item(by_incident, NOW)["resolved_at"] == resolved_at.isoformat()
    period_over = record(incident_id=None, window_end=NOW - timedelta(hours=1))
    assert costs.anomaly_item(period_over, NOW)["status"] == "resolved"
    assert costs.anomaly_item(record(hard_limit_enabled=True), NOW)["status"] == "protected"
    spike = record(anomaly_type="cost_spike", hard_limit_enabled=True)
    assert costs.anomaly_item(spike, NOW)["status"] == "attention_needed"
