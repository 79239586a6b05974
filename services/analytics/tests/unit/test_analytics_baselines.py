"""Baselines, expected spend so far today, deviation and trend (SPEC §4, §11)."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guard_analytics.engines.baselines import (
    Trend,
    baseline,
    classify,
    deviation_pct,
    expected_so_far,
)

TODAY = date(2026, 3, 15)


def days_before(today: date, values: list[int]) -> dict[date, int]:
    """values[0] is the day before today, values[1] the day before that, ..."""
    return {today - timedelta(days=i + 1): v for i, v in enumerate(values)}


def test_baseline_averages_the_last_seven_complete_days() -> None:
    daily = days_before(TODAY, [100, 200, 300, 400, 500, 600, 700, 10_000])
    daily[TODAY] = 99_999  # today is incomplete and never part of its own baseline
    found = baseline(daily, TODAY, 7, first_day=TODAY - timedelta(days=30))
    assert found is not None
    assert (found.days, found.mean_micros) == (7, 400)
    assert found.stddev_micros == pytest.approx(200.0)


def test_days_without_spend_count_as_zero() -> None:
    daily = days_before(TODAY, [700])
    found = baseline(daily, TODAY, 7, first_day=TODAY - timedelta(days=20))
    assert found is not None
    assert (found.days, found.mean_micros) == (7, 100)


def test_baseline_starts_no_earlier_than_the_first_cost_day() -> None:
    daily = days_before(TODAY, [300, 0, 600])
    found = baseline(daily, TODAY, 30, first_day=TODAY - timedelta(days=3))
    assert found is not None
    assert (found.days, found.mean_micros) == (3, 300)


@pytest.mark.parametrize("first", [None, TODAY, TODAY + timedelta(days=1)])
def test_no_complete_day_means_no_baseline(first: date | None) -> None:
    assert baseline({TODAY: 500}, TODAY, 7, first) is None


@given(
    values=st.lists(st.integers(0, 10**9), min_size=0, max_size=40),
    window=st.sampled_from([7, 30]),
    first_offset=st.integers(0, 45),
)
def test_baseline_is_a_mean_of_at_most_window_days(
    values: list[int], window: int, first_offset: int
) -> None:
    daily = days_before(TODAY, values)
    found = baseline(daily, TODAY, window, TODAY - timedelta(days=first_offset))
    if first_offset == 0:
        assert found is None
        return
    assert found is not None
    assert found.days == min(window, first_offset)
    counted = [daily.get(TODAY - timedelta(days=i + 1), 0) for i in range(found.days)]
    assert found.mean_micros == pytest.approx(sum(counted) / found.days)
    assert min(counted) - 1e-6 <= found.mean_micros <= max(counted) + 1e-6
    assert found.stddev_micros >= 0
    assert not math.isnan(found.stddev_micros)


def test_expected_so_far_adds_the_elapsed_part_of_the_current_hour() -> None:
    means = [float(h * 10) for h in range(24)]
    # 00..02 complete (0 + 10 + 20), then 15 of 60 minutes of hour 3 (mean 30).
    assert expected_so_far(means, 3, 0.25) == pytest.approx(37.5)
    assert expected_so_far(means, 0, 0.0) == 0


@pytest.mark.parametrize(
    ("actual", "expected", "deviation"),
    [(150, 100, 50.0), (50, 100, -50.0), (100, 100, 0.0), (5, None, None), (5, 0, None)],
)
def test_deviation(actual: int, expected: float | None, deviation: float | None) -> None:
    assert deviation_pct(actual, expected) == deviation


@pytest.mark.parametrize(
    ("deviation", "trend"),
    [
        (None, Trend.NORMAL),
        (200.01, Trend.SPIKE),
        (200.0, Trend.RISING),
        (50.01, Trend.RISING),
        (50.0, Trend.NORMAL),
        (-31.0, Trend.NORMAL),
    ],
)
def test_trend_thresholds_are_strict(deviation: float | None, trend: Trend) -> None:
    assert classify(deviation) is trend
