"""Exact money: USD as Decimal on the wire, integer micro-dollars in storage (docs/product/events.md)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

MICROS_PER_USD = 1_000_000
_MICRO = Decimal("0.000001")
_MICROS_PER_USD = Decimal(MICROS_PER_USD)  # Decimal × Decimal: no int conversion per call


def usd_to_micros(usd: Decimal) -> int:
    """Exact conversion; the contracts already reject more than 6 decimals."""
    micros = usd * _MICROS_PER_USD
    if micros != micros.to_integral_value():
        raise ValueError(f"{usd} has more than 6 decimals")
    return int(micros)


def micros_to_usd(micros: int) -> Decimal:
    return (Decimal(micros) / MICROS_PER_USD).quantize(_MICRO)


def micros_to_usd_number(micros: int) -> float:
    """USD as a JSON number: the same double as ``float(micros_to_usd(micros))`` (how the read
    models serialise money) without building Decimals. ``micros_to_usd`` is exact (6 places), and
    Python's int true division rounds the exact quotient once, as ``float(Decimal)`` does."""
    return micros / MICROS_PER_USD


def micros_to_cents(micros: int) -> int:
    """Cents = exact USD × 100, rounded half up once (docs/product/costs.md#money)."""
    return int((Decimal(micros) / 10_000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def round_usd(value: Decimal, places: str = "0.01") -> Decimal:
    """Round once, at the edge, half up."""
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def micros_to_usd_2dp(micros: int) -> Decimal:
    return round_usd(Decimal(micros) / MICROS_PER_USD, "0.01")


__all__ = [
    "MICROS_PER_USD",
    "micros_to_cents",
    "micros_to_usd",
    "micros_to_usd_2dp",
    "micros_to_usd_number",
    "round_usd",
    "usd_to_micros",
]
