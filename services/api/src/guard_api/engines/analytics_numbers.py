"""Bucketing for the analytics answers (docs/product/analytics.md); half-up rounding is ``guard_rules``. Pure."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache

from guard_contracts.money import micros_to_usd_number
from guard_rules.rounding import half_up, pct
from guard_rules.rounding import whole as whole_ms


class Granularity(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


def micros_usd(micros: int, places: int = 6) -> float:
    """Exact USD (micro-dollars have 6 decimals) as a JSON number, rounded half up to ``places``.

    With 6 places nothing is rounded: the money rule's own number, ~20x faster than the Decimal
    path (trends call this per point)."""
    if places >= 6:
        return micros_to_usd_number(micros)
    return half_up(Decimal(micros) / 1_000_000, places)


def floor_hour(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


# A bucket is named by the ordinal of its first UTC day (``date.toordinal``: days since
# 0001-01-01, a Monday), so bucketing a row and listing a year of buckets is integer arithmetic
# instead of building and comparing aware datetimes (a year-long daily trend called these ~700
# times per answer).


def bucket_start(at: datetime, granularity: Granularity) -> int:
    """``date_trunc(granularity)`` in UTC as a day ordinal; weeks start on Monday."""
    day = at.astimezone(UTC).toordinal()
    if granularity is Granularity.DAY:
        return day
    if granularity is Granularity.WEEK:
        return day - (day - 1) % 7  # ordinal 1 is a Monday
    return day - date.fromordinal(day).day + 1


def buckets(start: datetime, end: datetime, granularity: Granularity) -> list[int]:
    """Every bucket from the one holding ``start`` to the one holding ``end``, ascending."""
    first, last = bucket_start(start, granularity), bucket_start(end, granularity)
    if granularity is not Granularity.MONTH:
        return list(range(first, last + 1, 7 if granularity is Granularity.WEEK else 1))
    out = []
    month = date.fromordinal(first)
    while (current := month.toordinal()) <= last:
        out.append(current)
        month = (month + timedelta(days=32)).replace(day=1)
    return out


@lru_cache(maxsize=8192)
def label(bucket: int) -> str:
    """The bucket's first day, ``YYYY-MM-DD``; remembered, since every answer names the same few
    hundred recent days (a year-long daily trend names 366 per answer)."""
    return date.fromordinal(bucket).isoformat()


__all__ = ["half_up", "pct", "whole_ms"]  # re-exported for the analytics engines and adapters
