"""guard_contracts.canonical.canonical_json takes orjson's fast path only where it writes exactly the json module's bytes.

The chain hashes these bytes (docs/exports.md), so the two encoders must never disagree: the
reference here is the documented definition, ``json.dumps(sort_keys=True, separators=(",", ":"),
ensure_ascii=False)``, compared on random JSON values (any Unicode text, control characters,
64-bit and bigger integers, floats, nesting) with a fixed seed.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guard_contracts.canonical import canonical_json


def reference(entry: Any) -> bytes:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def same_or_same_error(entry: Any) -> None:
    try:
        expected = reference(entry)
    except Exception as exc:  # e.g. a lone surrogate cannot be UTF-8 encoded
        with pytest.raises(type(exc)):
            canonical_json(entry)
        return
    assert canonical_json(entry) == expected


scalars = (
    st.none() | st.booleans() | st.integers() | st.integers(-(2**64), 2**64)
    | st.floats() | st.text() | st.text(st.characters(max_codepoint=0x7F))
)  # fmt: skip
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(derandomize=True, max_examples=400)
@given(st.dictionaries(st.text(max_size=8), values, max_size=6))
def test_same_bytes_as_the_json_module(entry: dict[str, Any]) -> None:
    same_or_same_error(entry)


class Colour(StrEnum):
    RED = "red"


@pytest.mark.parametrize(
    "entry",
    [
        {"b": 1, "a": [1, 2, {"d": None, "c": True}], "é": 'ü\u2028\x7f\x00\x1f"\\'},
        {"rate": 1e-05, "big": 2**64, "small": -(2**63) - 1, "max": 2**64 - 1, "min": -(2**63)},
        {"nan": float("nan"), "inf": float("inf"), "neg": -0.0},
        {"enum": Colour.RED, "int_key": {1: "x"}, "tuple": (1, 2)},
        {"surrogate": "\ud800"},
        {"\U0001f600": 1, "\uffff": 2, "z": 3, "Z": 4},
    ],
)
def test_edge_cases(entry: dict[str, Any]) -> None:
    same_or_same_error(entry)
