"""Money conversions and the timeline hash chain."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guard_contracts.chain import ChainVerdict, link_hash, verify_chain
from guard_contracts.money import (
    micros_to_cents,
    micros_to_usd,
    micros_to_usd_number,
    usd_to_micros,
)


@given(st.integers(min_value=0, max_value=10**12))
def test_micros_round_trip(micros: int) -> None:
    assert usd_to_micros(micros_to_usd(micros)) == micros


@given(st.integers(-(10**21), 10**21) | st.integers(-(10**7), 10**7))
def test_the_json_number_is_the_exact_amounts_own_float(micros: int) -> None:
    assert micros_to_usd_number(micros) == float(micros_to_usd(micros))


@pytest.mark.parametrize(
    ("micros", "cents"),
    [(0, 0), (4_999, 0), (5_000, 1), (14_999, 1), (15_000, 2), (1_234_567, 123)],
)
def test_cents_round_half_up_once(micros: int, cents: int) -> None:
    assert micros_to_cents(micros) == cents


def test_usd_with_more_than_six_decimals_is_refused() -> None:
    with pytest.raises(ValueError, match="6 decimals"):
        usd_to_micros(Decimal("0.0000001"))


def _chain(entries: list[dict[str, object]]) -> list[tuple[dict[str, object], str | None, str]]:
    links: list[tuple[dict[str, object], str | None, str]] = []
    prev: str | None = None
    for entry in entries:
        digest = link_hash(prev, entry)
        links.append((entry, prev, digest))
        prev = digest
    return links


ENTRIES: list[dict[str, object]] = [
    {"sequence": i, "entry_type": "event_attached", "data": {"calls": i}} for i in range(1, 6)
]


def test_intact_chain_verifies() -> None:
    verdict = verify_chain(_chain(ENTRIES))
    assert verdict.verified
    assert verdict.event_count == 5
    assert verdict.root_hash == _chain(ENTRIES)[-1][2]


def test_an_edited_entry_breaks_the_chain_where_it_was_edited() -> None:
    links = _chain(ENTRIES)
    entry, prev, digest = links[2]
    links[2] = ({**entry, "data": {"calls": 999}}, prev, digest)
    verdict = verify_chain(links)
    assert not verdict.verified
    assert verdict.first_broken_sequence == 3


def test_a_removed_entry_breaks_the_chain() -> None:
    links = _chain(ENTRIES)
    del links[1]
    assert not verify_chain(links).verified


def test_hash_ignores_key_order() -> None:
    assert link_hash(None, {"a": 1, "b": 2}) == link_hash(None, {"b": 2, "a": 1})


Links = list[tuple[dict[str, object], str | None, str]]


def _head(links: Links) -> tuple[str, int]:
    return links[-1][2], len(links)


def _bound(links: Links, head: tuple[str, int]) -> ChainVerdict:
    return verify_chain(links, expected_head=head[0], expected_length=head[1])


def test_a_chain_bound_to_its_recorded_head_verifies() -> None:
    links = _chain(ENTRIES)
    verdict = _bound(links, _head(links))
    assert verdict.verified
    assert verdict.head_bound
    assert verdict.problems == ()


def test_truncating_the_newest_entries_is_caught_by_the_head() -> None:
    links = _chain(ENTRIES)
    head = _head(links)
    # What is left is a perfectly consistent chain: only the recorded head and length tell.
    assert verify_chain(links[:3]).verified
    verdict = _bound(links[:3], head)
    assert not verdict.verified
    assert verdict.problems == ("the timeline has 3 entries but the incident records 5",)


def test_deleting_an_entry_in_the_middle_is_named() -> None:
    links = _chain(ENTRIES)
    head = _head(links)
    del links[2]
    verdict = _bound(links, head)
    assert not verdict.verified
    assert verdict.first_broken_sequence == 3
    assert "entries are missing, duplicated or out of order" in verdict.problems[0]


def test_reordered_entries_are_caught() -> None:
    links = _chain(ENTRIES)
    head = _head(links)
    links[1], links[2] = links[2], links[1]
    verdict = _bound(links, head)
    assert not verdict.verified
    assert verdict.first_broken_sequence == 2


def test_an_edited_payload_is_named_even_with_the_right_length() -> None:
    links = _chain(ENTRIES)
    head = _head(links)
    entry, prev, digest = links[4]
    links[4] = ({**entry, "data": {"calls": 0}}, prev, digest)
    verdict = _bound(links, head)
    assert not verdict.verified
    assert verdict.problems[0] == "entry 5 was changed after it was written"


def test_a_rewritten_chain_with_a_forged_head_is_caught() -> None:
    """Re-hashing every link after an edit keeps the links consistent; the head does not move."""
    links = _chain(ENTRIES)
    head = _head(links)
    forged = _chain([*ENTRIES[:4], {**ENTRIES[4], "data": {"calls": 0}}])
    verdict = _bound(forged, head)
    assert not verdict.verified
    assert verdict.problems == ("the timeline does not end at the head recorded on the incident",)
