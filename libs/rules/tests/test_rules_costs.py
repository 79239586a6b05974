"""Baselines, expected spend so far today, deviation and trend (guard_rules.costs)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guard_rules.costs import (
    BELOW_PCT,
    RISING_PCT,
    SPIKE_PCT,
    Trend,
    baseline,
    baseline_day_count,
    baseline_days,
    baseline_mean,
    deviation_pct,
    expected_so_far,
    mean_std,
    trend,
)

DETERMINISTIC = settings(derandomize=True, max_examples=200)
TODAY = date(2026, 3, 15)
NOW = datetime(2026, 2, 15, 2, 30, tzinfo=UTC)
RANK = {Trend.NORMAL: 0, Trend.RISING: 1, Trend.SPIKE: 2}


def days_before(today: date, values: list[int]) -> dict[date, int]:
    """values[0] is the day before today, values[1] the day before that, ..."""
    return {today - timedelta(days=i + 1): v for i, v in enumerate(values)}


def test_baseline_days_stop_at_the_first_cost_day() -> None:
    today = date(2026, 2, 15)
    assert len(baseline_days(today, 7, date(2026, 1, 1))) == 7
    assert baseline_days(today, 30, date(2026, 2, 13)) == [date(2026, 2, 13), date(2026, 2, 14)]
    assert baseline_days(today, 7, today) == []
    assert baseline_days(today, 7, None) == []


def test_mean_std_is_the_population_deviation() -> None:
    assert mean_std([]) is None
    assert mean_std([2, 4, 4, 4, 5, 5, 7, 9]) == (5.0, 2.0)


def test_baseline_averages_the_last_seven_complete_days() -> None:
    daily = days_before(TODAY, [100, 200, 300, 400, 500, 600, 700, 10_000])
    daily[TODAY] = 99_999  # today is incomplete and never part of its own baseline
    found = baseline(daily, TODAY, 7, first_day=TODAY - timedelta(days=30))
    assert found is not None
    assert (found.days, found.mean_micros) == (7, 400)
    assert found.stddev_micros == pytest.approx(200.0)


def test_days_without_spend_count_as_zero() -> None:
    found = baseline(days_before(TODAY, [700]), TODAY, 7, first_day=TODAY - timedelta(days=20))
    assert found is not None
    assert (found.days, found.mean_micros) == (7, 100)


def test_baseline_starts_no_earlier_than_the_first_cost_day() -> None:
    found = baseline(days_before(TODAY, [300, 0, 600]), TODAY, 30, TODAY - timedelta(days=3))
    assert found is not None
    assert (found.days, found.mean_micros) == (3, 300)


@pytest.mark.parametrize("first", [None, TODAY, TODAY + timedelta(days=1)])
def test_no_complete_day_means_no_baseline(first: date | None) -> None:
    assert baseline({TODAY: 500}, TODAY, 7, first) is None


@DETERMINISTIC
@given(
    values=st.lists(st.integers(0, 10**9), max_size=40),
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


@DETERMINISTIC
@given(
    values=st.lists(st.integers(0, 10**12), max_size=40),
    window=st.sampled_from([1, 7, 30]),
    first_offset=st.one_of(st.none(), st.integers(-3, 45)),
)
def test_baseline_mean_from_a_sum_is_the_baseline_mean(
    values: list[int], window: int, first_offset: int | None
) -> None:
    """The explanation sums an item's last ``window`` days in PostgreSQL (nothing exists before
    its first day) and takes the mean from the sum: the same float as the day-by-day mean."""
    first = None if first_offset is None else TODAY - timedelta(days=first_offset)
    daily = {d: v for d, v in days_before(TODAY, values).items() if first is None or d >= first}
    assert baseline_day_count(TODAY, window, first) == len(baseline_days(TODAY, window, first))
    low = TODAY - timedelta(days=window)
    total = sum(v for d, v in daily.items() if low <= d < TODAY)
    found = baseline(daily, TODAY, window, first)
    got = baseline_mean(total, TODAY, window, first)
    assert got == (None if found is None else found.mean_micros)


def test_expected_so_far_uses_complete_hours_and_the_elapsed_part_of_this_one() -> None:
    days = [date(2026, 2, 13), date(2026, 2, 14)]
    hourly = {(days[0], 0): 100, (days[1], 0): 300, (days[0], 1): 50, (days[1], 2): 400}
    # hour 0 mean 200 + hour 1 mean 25 + half of hour 2's mean (200)
    assert expected_so_far(hourly, days, NOW) == pytest.approx(325.0)
    assert expected_so_far(hourly, [], NOW) is None
    assert expected_so_far(hourly, days, NOW.replace(hour=0, minute=0)) == 0


@DETERMINISTIC
@given(
    st.dictionaries(st.integers(0, 23), st.integers(0, 10**9), max_size=24),
    st.integers(0, 23 * 60 + 59),
    st.integers(0, 23 * 60 + 59),
)
def test_expected_so_far_grows_through_the_day(spend: dict[int, int], a: int, b: int) -> None:
    day = date(2026, 2, 14)
    hourly = {(day, hour): micros for hour, micros in spend.items()}
    earlier, later = sorted((a, b))
    at = [datetime(2026, 2, 15, m // 60, m % 60, tzinfo=UTC) for m in (earlier, later)]
    first, second = (expected_so_far(hourly, [day], t) for t in at)
    assert first is not None
    assert second is not None
    assert 0 <= first <= second + 1e-6
    assert second <= sum(spend.values()) + 1e-6


@pytest.mark.parametrize(
    ("actual", "expected", "deviation"),
    [(150, 100, 50.0), (50, 100, -50.0), (100, 100, 0.0), (5, None, None), (5, 0, None)],
)
def test_deviation(actual: int, expected: float | None, deviation: float | None) -> None:
    assert deviation_pct(actual, expected) == deviation


@pytest.mark.parametrize(
    ("deviation", "expected"),
    [(None, Trend.NORMAL), (200.01, Trend.SPIKE), (200, Trend.RISING), (50.01, Trend.RISING),
     (50, Trend.NORMAL), (-30, Trend.NORMAL), (-30.01, Trend.NORMAL)],
)  # fmt: skip
def test_trend_thresholds_are_strict(deviation: float | None, expected: Trend) -> None:
    assert trend(deviation)[0] is expected
    assert (SPIKE_PCT, RISING_PCT, BELOW_PCT) == (200, 50, -30)


def test_every_trend_has_its_own_sentence() -> None:
    assert "not enough history" in trend(None)[1]
    assert "well above" in trend(250)[1]
    assert "higher than usual" in trend(60)[1]
    assert "below your usual level" in trend(-30.01)[1]
    assert "about your usual level" in trend(-30)[1]


@DETERMINISTIC
@given(st.floats(-100, 10_000, allow_nan=False), st.floats(-100, 10_000, allow_nan=False))
def test_trend_never_falls_as_the_deviation_grows(a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert RANK[trend(low)[0]] <= RANK[trend(high)[0]]


@DETERMINISTIC
@given(st.integers(0, 10**12), st.integers(1, 10**12))
def test_deviation_sign_follows_actual_against_expected(actual: int, expected: int) -> None:
    deviation = deviation_pct(actual, expected)
    assert deviation is not None
    assert (deviation > 0) == (actual > expected)
    assert deviation >= -100
