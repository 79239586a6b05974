"""The anomaly detector (docs/product/costs.md): spike, drift, budget levels and severities."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guard_analytics.adapters.anomaly_job import to_event
from guard_analytics.engines.anomalies import (
    BudgetCheck,
    Entity,
    Finding,
    budget,
    budget_levels,
    drift,
    severity_for_deviation,
    spike,
)
from guard_contracts.enums import AnomalyType, Severity
from guard_contracts.events import MAX_DEVIATION_PCT

DAY = date(2026, 3, 15)
TENANT = Entity("tenant", "t1")


def series(last: date, values: list[int]) -> dict[date, int]:
    """values in time order, the last one on ``last``."""
    return {last - timedelta(days=len(values) - 1 - i): v for i, v in enumerate(values)}


def test_spike_needs_two_consecutive_days_at_1_4x() -> None:
    daily = series(DAY, [100] * 10 + [140, 140])
    found = spike(TENANT, daily, min(daily), DAY)
    assert found is not None
    assert found.anomaly_type is AnomalyType.COST_SPIKE
    assert found.period == DAY.isoformat()
    assert found.current_micros == 140
    assert found.severity is Severity.HIGH  # ≥ 1.4× is ≥ 40 % above the baseline
    assert found.window_start == datetime(2026, 3, 14, tzinfo=UTC)  # both spike days


@pytest.mark.parametrize("values", [[100] * 10 + [100, 140], [100] * 10 + [140, 139]])
def test_one_day_or_just_under_is_no_spike(values: list[int]) -> None:
    daily = series(DAY, values)
    assert spike(TENANT, daily, min(daily), DAY) is None


def test_no_baseline_no_spike() -> None:
    daily = series(DAY, [500, 900])
    assert spike(TENANT, daily, DAY - timedelta(days=1), DAY) is None


def test_drift_needs_three_days_of_a_raised_weekly_average() -> None:
    daily = series(DAY, [100] * 30 + [130] * 9)
    found = drift(TENANT, daily, min(daily), DAY)
    assert found is not None
    assert found.anomaly_type is AnomalyType.COST_DRIFT
    assert found.current_micros == 130
    assert found.expected_micros == 100
    assert found.severity is Severity.MEDIUM  # 30 % above
    assert found.period == "2026-W11"


def test_drift_below_1_25x_is_none() -> None:
    daily = series(DAY, [100] * 30 + [124] * 9)
    assert drift(TENANT, daily, min(daily), DAY) is None


@pytest.mark.parametrize(
    ("deviation", "severity"),
    [(40.0, Severity.HIGH), (39.9, Severity.MEDIUM), (25.0, Severity.MEDIUM),
     (15.0, Severity.LOW), (14.9, None), (None, None)],
)  # fmt: skip
def test_severity_by_deviation(deviation: float | None, severity: Severity | None) -> None:
    assert severity_for_deviation(deviation) is severity


def check(spent: int, *, limit: int = 1000, warn: int = 80, hard: bool = False) -> BudgetCheck:
    return BudgetCheck(
        entity=TENANT,
        limit_kind="daily",
        limit_micros=limit,
        spent_micros=spent,
        warn_pct=warn,
        hard_limit=hard,
        period="2026-03-15",
        window_start=datetime(2026, 3, 15, tzinfo=UTC),
        window_end=datetime(2026, 3, 16, tzinfo=UTC),
    )


def kinds(spent: int, **kw: object) -> list[tuple[AnomalyType, Severity, str]]:
    return [(f.anomaly_type, f.severity, f.period) for f in budget(check(spent, **kw))]  # type: ignore[arg-type]


def test_budget_levels_warn_90_and_100() -> None:
    assert kinds(799) == []
    assert kinds(800) == [(AnomalyType.BUDGET_WARNING, Severity.MEDIUM, "daily:2026-03-15:80")]
    assert kinds(900) == [(AnomalyType.BUDGET_WARNING, Severity.HIGH, "daily:2026-03-15:90")]
    assert kinds(1000) == [(AnomalyType.BUDGET_EXCEEDED, Severity.HIGH, "daily:2026-03-15:100")]
    assert kinds(1500, hard=True)[-1][1] is Severity.CRITICAL


def test_levels_crossed_together_fire_once_at_the_highest() -> None:
    # 0 → 129 % between two checks: one budget_exceeded, the two warnings count as fired.
    (only,) = budget(check(1290))
    assert (only.anomaly_type, only.period) == (AnomalyType.BUDGET_EXCEEDED, "daily:2026-03-15:100")
    assert only.covers == (
        (AnomalyType.BUDGET_WARNING, "daily:2026-03-15:80"),
        (AnomalyType.BUDGET_WARNING, "daily:2026-03-15:90"),
    )
    (warning,) = budget(check(950))
    assert warning.covers == ((AnomalyType.BUDGET_WARNING, "daily:2026-03-15:80"),)


def test_budget_exceeded_reports_threshold_and_deviation() -> None:
    exceeded = budget(check(1500))[-1]
    assert (exceeded.threshold_micros, exceeded.current_micros) == (1000, 1500)
    assert exceeded.deviation_pct == 50.0


def test_custom_warn_level_and_no_limit() -> None:
    assert budget_levels(70) == [70, 90, 100]
    assert budget_levels(95) == [95, 100]  # no warning below the tenant's own threshold
    assert [k[:2] for k in kinds(950, warn=95)] == [(AnomalyType.BUDGET_WARNING, Severity.HIGH)]
    assert budget(check(950, warn=95))[0].covers == ()
    assert budget(check(10, limit=0)) == []


@given(spent=st.integers(0, 3000), more=st.integers(0, 3000), warn=st.integers(1, 100))
def test_more_spend_never_fires_fewer_levels(spent: int, more: int, warn: int) -> None:
    def reached(findings: list[Finding]) -> set[str]:
        return {f.period for f in findings} | {p for f in findings for _, p in f.covers}

    fewer = reached(budget(check(spent, warn=warn)))
    assert fewer <= reached(budget(check(spent + more, warn=warn)))
    assert len(budget(check(spent, warn=warn))) <= 1


@pytest.mark.parametrize("deviation", [1e13, -1e13, 1e300])
def test_a_deviation_beyond_what_the_event_holds_is_capped(deviation: float) -> None:
    """A tiny baseline gives a deviation ``cost_anomalies.deviation_pct`` (numeric(14,2)) cannot
    hold; the contract refuses it (fuzzing), so the detector caps it instead of failing."""
    found = Finding(
        anomaly_type=AnomalyType.COST_SPIKE, entity=TENANT, period=DAY.isoformat(),
        current_micros=10**12, expected_micros=1, threshold_micros=1, deviation_pct=deviation,
        severity=Severity.CRITICAL, window_start=datetime(2026, 3, 14, tzinfo=UTC),
        window_end=datetime(2026, 3, 16, tzinfo=UTC),
    )  # fmt: skip
    event = to_event("t1", found, datetime(2026, 3, 16, tzinfo=UTC))
    assert event.deviation_pct == (MAX_DEVIATION_PCT if deviation > 0 else -MAX_DEVIATION_PCT)
