"""Rounding and bucketing shared by the analytics answers (SPEC §7, §11). Pure."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum


class Granularity(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


def half_up(value: Decimal | float | int, places: int = 2) -> float:
    """Round half up to ``places`` decimals (exactly, via Decimal) and return a JSON number."""
    exp = Decimal(1).scaleb(-places)
    return float(Decimal(str(value)).quantize(exp, rounding=ROUND_HALF_UP))


def whole_ms(value: Decimal | float) -> int:
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def pct(part: int | Decimal, whole: int | Decimal, places: int = 2) -> float:
    """part / whole × 100 rounded half up; 0 when whole is 0."""
    if not whole:
        return 0.0
    return half_up(Decimal(part) * 100 / Decimal(whole), places)


def micros_usd(micros: int, places: int = 6) -> float:
    """Exact USD (micro-dollars have 6 decimals) as a JSON number."""
    return half_up(Decimal(micros) / 1_000_000, places)


def floor_hour(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def ceil_hour(at: datetime) -> datetime:
    floor = floor_hour(at)
    return floor if floor == at else floor + timedelta(hours=1)


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
