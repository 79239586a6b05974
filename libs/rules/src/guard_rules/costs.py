"""Cost baselines, expected spend so far today, deviation and trend (docs/product/costs.md).

Used by the API (the cost summary and explanation) and by analytics (the anomaly detector).
Money is integer micro-dollars; means, deviations and expectations are statistics over them and
are floats until they are shown (then rounded once, half up, to cents or percent).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

#: Trend thresholds on the deviation in percent: above SPIKE a spike, above RISING rising,
#: below BELOW normal but said to be below the usual level.
SPIKE_PCT = 200
RISING_PCT = 50
BELOW_PCT = -30


def baseline_day_count(today: date, window: int, first_day: date | None) -> int:
    """How many days :func:`baseline_days` holds, without listing them."""
    if first_day is None:
        return 0
    return max(0, (today - max(today - timedelta(days=window), first_day)).days)


def baseline_days(today: date, window: int, first_day: date | None) -> list[date]:
    """The complete UTC days before ``today``, at most ``window``, none before ``first_day``
    (the entity's first cost day); no first day means no history and no days."""
    count = baseline_day_count(today, window, first_day)
    return [today - timedelta(days=count - i) for i in range(count)]


def mean_std(values: Sequence[int]) -> tuple[float, float] | None:
    """Mean and population standard deviation; ``None`` for no values."""
    if not values:
        return None
    mean = sum(values) / len(values)
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))


@dataclass(frozen=True, slots=True)
class Baseline:
    days: int
    mean_micros: float
    stddev_micros: float


def baseline(
    daily: Mapping[date, int], today: date, window: int, first_day: date | None
) -> Baseline | None:
    """Average daily spend over :func:`baseline_days`; days without spend count as 0."""
    days = baseline_days(today, window, first_day)
    stats = mean_std([daily.get(d, 0) for d in days])
    if stats is None:
        return None
    return Baseline(days=len(days), mean_micros=stats[0], stddev_micros=stats[1])


def baseline_mean(
    total_micros: int, today: date, window: int, first_day: date | None
) -> float | None:
    """The mean of :func:`baseline`, from ``total_micros``: the spend summed over
    :func:`baseline_days` (days without spend add 0, so a sum over the last ``window`` days
    before ``today`` is it when there is no spend before ``first_day``). The same float as
    ``mean_std`` over the days' values: one int division."""
    days = baseline_day_count(today, window, first_day)
    return total_micros / days if days else None


def expected_so_far(
    hourly: Mapping[tuple[date, int], int], days: Sequence[date], now: datetime
) -> float | None:
    """Spend expected from midnight to ``now``: for every complete hour before the current one,
    the mean of that hour's spend over the baseline ``days``, plus the elapsed fraction of the
    current hour times that hour's mean. ``hourly`` maps (day, hour) to micro-dollars."""
    if not days:
        return None

    def hour_mean(hour: int) -> float:
        return sum(hourly.get((d, hour), 0) for d in days) / len(days)

    complete = sum(hour_mean(h) for h in range(now.hour))
    fraction = (now.minute * 60 + now.second + now.microsecond / 1e6) / 3600
    return complete + fraction * hour_mean(now.hour)


def deviation_pct(actual: float, expected: float | None) -> float | None:
    """(actual - expected) / expected x 100; no (or a zero) expectation gives none."""
    if expected is None or expected <= 0:
        return None
    return (actual - expected) / expected * 100


class Trend(StrEnum):
    SPIKE = "spike"
    RISING = "rising"
    NORMAL = "normal"


def trend(deviation: float | None) -> tuple[Trend, str]:
    """The trend of a deviation and the sentence the console shows with it."""
    if deviation is None:
        return Trend.NORMAL, "There is not enough history yet to compare with your usual level."
    if deviation > SPIKE_PCT:
        return Trend.SPIKE, "Spending is well above your usual level; worth a look."
    if deviation > RISING_PCT:
        return Trend.RISING, "Spending is higher than usual."
    if deviation < BELOW_PCT:
        return Trend.NORMAL, "Spending is below your usual level."
    return Trend.NORMAL, "Spending is about your usual level."
