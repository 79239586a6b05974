"""Half-up rounding for shown numbers (confidences, percentages, durations).

Money has its own single rounding in ``guard_contracts.money`` (cents = exact USD x 100, half up,
once); everything else that is rounded for display goes through these functions.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def half_up_decimal(value: Decimal | float | int, places: int = 2) -> Decimal:
    """``value`` rounded half up to ``places`` decimals, exactly (floats go through ``str``)."""
    exp = Decimal(1).scaleb(-places)
    return Decimal(str(value)).quantize(exp, rounding=ROUND_HALF_UP)


def half_up(value: Decimal | float | int, places: int = 2) -> float:
    """Round half up to ``places`` decimals and return a JSON number."""
    return float(half_up_decimal(value, places))


def whole(value: Decimal | float | int) -> int:
    """The nearest integer, halves up (averages of durations in whole milliseconds)."""
    return int(half_up_decimal(value, 0))


def pct(part: int | Decimal, total: int | Decimal, places: int = 2) -> float:
    """``part / total x 100`` rounded half up; 0 when ``total`` is 0."""
    if not total:
        return 0.0
    return half_up(Decimal(part) * 100 / Decimal(total), places)
