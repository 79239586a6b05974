"""Durations in words: how long something took, as a sentence in the product shows it.

One reading everywhere (the API's learnings, the executive debrief): under an hour in minutes,
under a day in hours, otherwise in days, always with one decimal (90 minutes is "1.5 hours").
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from guard_rules.rounding import half_up_decimal

MS_PER_MINUTE = 60_000
MS_PER_HOUR = 60 * MS_PER_MINUTE
MS_PER_DAY = 24 * MS_PER_HOUR


def in_words_ms(ms: int) -> str:
    """``ms`` milliseconds in minutes, hours or days, whichever unit keeps the number small."""
    if ms < 0:
        raise ValueError("a duration in words is never negative")
    if ms < MS_PER_HOUR:
        value, unit = Decimal(ms) / MS_PER_MINUTE, "minutes"
    elif ms < MS_PER_DAY:
        value, unit = Decimal(ms) / MS_PER_HOUR, "hours"
    else:
        value, unit = Decimal(ms) / MS_PER_DAY, "days"
    return f"{half_up_decimal(value, 1)} {unit}"


def in_words(value: timedelta) -> str:
    """:func:`in_words_ms` for a ``timedelta`` (rounded to whole milliseconds first)."""
    return in_words_ms(to_ms(value))


def to_ms(value: timedelta) -> int:
    """A ``timedelta`` in whole milliseconds, exact (no float on the way)."""
    micros = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    return int(half_up_decimal(Decimal(micros) / 1000, 0))
