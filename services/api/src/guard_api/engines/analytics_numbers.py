"""Bucketing for the analytics answers (docs/product/analytics.md); half-up rounding is ``guard_rules``. Pure."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from guard_rules.rounding import half_up, pct
from guard_rules.rounding import whole as whole_ms


class Granularity(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


def micros_usd(micros: int, places: int = 6) -> float:
    """Exact USD (micro-dollars have 6 decimals) as a JSON number.

    With 6 places nothing is rounded, and ``int / int`` is correctly rounded like ``float(Decimal)``,
    so the division gives the same double as the Decimal path, ~20x faster (trends call this per
    point)."""
    if places >= 6:
        return micros / 1_000_000
    return half_up(Decimal(micros) / 1_000_000, places)


def floor_hour(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def bucket_start(at: datetime, granularity: Granularity) -> datetime:
    """``date_trunc(granularity)`` in UTC; weeks start on Monday."""
    day = at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if granularity is Granularity.WEEK:
        return day - timedelta(days=day.weekday())
    if granularity is Granularity.MONTH:
        return day.replace(day=1)
    return day


def next_bucket(start: datetime, granularity: Granularity) -> datetime:
    if granularity is Granularity.DAY:
        return start + timedelta(days=1)
    if granularity is Granularity.WEEK:
        return start + timedelta(days=7)
    return (start + timedelta(days=32)).replace(day=1)


def buckets(start: datetime, end: datetime, granularity: Granularity) -> Iterator[datetime]:
    """Every bucket from the one holding ``start`` to the one holding ``end``, ascending."""
    current = bucket_start(start, granularity)
    last = bucket_start(end, granularity)
    while current <= last:
        yield current
        current = next_bucket(current, granularity)


def label(bucket: datetime) -> str:
    return bucket.date().isoformat()


__all__ = ["half_up", "pct", "whole_ms"]  # re-exported for the analytics engines and adapters
