"""The USD validator answers exactly as before its fast path (string first, Decimal comparisons).

``_reference`` is the validator as it was before (commit f0c0d11), kept here only as the oracle:
for every input both accept the same value with the same exponent, or reject it with the same
message. Money conversions are compared the same way.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from guard_contracts.events import MAX_USD, _parse_usd
from guard_contracts.money import MICROS_PER_USD, usd_to_micros

_MICRO = Decimal("0.000001")


def _reference(value: object, *, allow_negative: bool) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("must be a decimal string or number, not a boolean")
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            amount = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a decimal number") from None
    else:
        raise ValueError("must be a decimal string or number")
    if not amount.is_finite():
        raise ValueError("must be finite")
    if not allow_negative and amount < 0:
        raise ValueError("must be ≥ 0")
    if abs(amount) > MAX_USD:
        raise ValueError("must be ≤ 1,000,000")
    exact = amount.quantize(_MICRO)
    if exact != amount:
        raise ValueError("has more than 6 decimals")
    return exact


def _answer(parse: Any, value: object, allow_negative: bool) -> tuple[str, str]:
    try:
        result = parse(value, allow_negative=allow_negative)
    except ValueError as exc:
        return "rejected", str(exc)
    return "accepted", repr(result)  # repr: same value AND same exponent (Decimal('1.000000'))


class _Str(str):
    pass


EDGES: list[object] = [
    "0", "-0", "0.000001", "-0.000001", "0.0000001", "0.1000000", "1000000", "1000000.000000",
    "1000000.000001", "-1000000", "-1000000.000001", " 12.5 ", "1e6", "1E-6", "1e-7", "NaN",
    "-NaN", "sNaN", "Infinity", "-Infinity", "inf", "", " ", "lots", "1_000", "0x10", "١٢",
    True, False, 0, -1, 10**6, 10**6 + 1, 10**30, 0.5, -0.0, 1e-7, 1e300, float("nan"),
    float("inf"), Decimal("1.5"), Decimal("-0"), Decimal("NaN"), None, [], {}, b"1",
    _Str("1.5"), _Str("x"),
]  # fmt: skip

values = (
    st.sampled_from(EDGES)
    | st.decimals(allow_nan=True, allow_infinity=True)
    | st.decimals(min_value=-2_000_000, max_value=2_000_000, places=7).map(str)
    | st.decimals(min_value=-2_000_000, max_value=2_000_000, places=6).map(str)
    | st.integers(-(10**7), 10**7)
    | st.floats()
    | st.text(alphabet="0123456789.-+eE _", max_size=14)
    | st.text(max_size=6)
)


def test_the_edges_answer_as_before() -> None:
    for value in EDGES:
        for allow_negative in (False, True):
            assert _answer(_parse_usd, value, allow_negative) == _answer(
                _reference, value, allow_negative
            ), value


@settings(derandomize=True, max_examples=3000)
@given(values, st.booleans())
def test_random_inputs_answer_as_before(value: object, allow_negative: bool) -> None:
    assert _answer(_parse_usd, value, allow_negative) == _answer(_reference, value, allow_negative)


@settings(derandomize=True, max_examples=1000)
@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_usd_to_micros_as_before(usd: Decimal) -> None:
    try:
        reference: int | str = int(usd * MICROS_PER_USD)
        if usd * MICROS_PER_USD != (usd * MICROS_PER_USD).to_integral_value():
            reference = "rejected"
    except (ValueError, OverflowError, InvalidOperation):
        reference = "rejected"
    try:
        answer: int | str = usd_to_micros(usd)
    except (ValueError, OverflowError, InvalidOperation):
        answer = "rejected"
    assert answer == reference
