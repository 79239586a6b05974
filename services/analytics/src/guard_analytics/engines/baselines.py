"""Baselines, expected spend so far today and trend (SPEC §4, §11). Pure; money in micros."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class Baseline:
    days: int
    mean_micros: float
    stddev_micros: float


def baseline(
    daily: dict[date, int], today: date, window: int, first_day: date | None
) -> Baseline | None:
    """Mean and population stddev of the complete days before ``today`` (at most ``window``),
    none earlier than the entity's first cost day; days without spend count as 0."""
    if first_day is None:
        return None
    start = max(today - timedelta(days=window), first_day)
    values = [daily.get(start + timedelta(days=i), 0) for i in range((today - start).days)]
    if not values:
        return None
    mean = sum(values) / len(values)
    variance = sum((v - mean) ** 2 for v in values) / len(values)
    return Baseline(days=len(values), mean_micros=mean, stddev_micros=math.sqrt(variance))


def expected_so_far(hourly_means: Sequence[float], hour: int, minute_fraction: float) -> float:
    """Σ of the complete hours' mean spend plus the elapsed fraction of the current hour's mean.

    ``hourly_means[h]`` is the mean over the baseline days of the spend in hour ``h`` (24 items).
    """
    return sum(hourly_means[:hour]) + minute_fraction * hourly_means[hour]


def deviation_pct(actual: float, expected: float | None) -> float | None:
    """(actual − expected) / expected × 100; no (or zero) baseline → none."""
    if expected is None or expected <= 0:
        return None
    return (actual - expected) / expected * 100


class Trend(StrEnum):
    SPIKE = "spike"
    RISING = "rising"
    NORMAL = "normal"


def classify(deviation: float | None) -> Trend:
    """> 200 spike, > 50 rising, else normal (below −30 is normal with its own sentence)."""
    if deviation is None:
        return Trend.NORMAL
    if deviation > 200:
        return Trend.SPIKE
    if deviation > 50:
        return Trend.RISING
    return Trend.NORMAL
