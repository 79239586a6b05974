from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guard_api.engines.pagination import page
from guard_api.engines.sorting import SEVERITY_RANK, order_terms, sort_incidents
from guard_contracts.api.query import SortField, SortOrder


@given(total=st.integers(0, 10_000), offset=st.integers(0, 12_000), limit=st.integers(1, 100))
def test_page_follows_the_spec(total: int, offset: int, limit: int) -> None:
    returned = max(0, min(limit, total - offset))
    meta = page(total, offset, limit, returned)
    assert meta.has_more == (offset + returned < total)
    assert meta.next_offset == (offset + limit if meta.has_more else None)
    # Walking next_offset from 0 visits every item exactly once.
    if offset == 0:
        seen, current = 0, 0
        while True:
            got = max(0, min(limit, total - current))
            seen += got
            step = page(total, current, limit, got)
            if step.next_offset is None:
                break
            current = step.next_offset
        assert seen == total


def test_page_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="limit"):
        page(10, 0, 0, 0)


@dataclass(frozen=True)
class Item:
    incident_id: uuid.UUID
    severity: str
    created_at: datetime
    resolved_at: datetime | None


T0 = datetime(2026, 1, 1, tzinfo=UTC)
items = st.lists(
    st.builds(
        Item,
        incident_id=st.uuids(),
        severity=st.sampled_from(list(SEVERITY_RANK)),
        created_at=st.integers(0, 5).map(lambda m: T0 + timedelta(minutes=m)),
        resolved_at=st.one_of(st.none(), st.integers(0, 5).map(lambda m: T0 + timedelta(hours=m))),
    ),
    max_size=30,
)


@given(items)
def test_severity_desc_puts_critical_first_and_breaks_ties_by_id(rows: list[Item]) -> None:
    ordered = sort_incidents(rows, SortField.SEVERITY, SortOrder.DESC)
    keys = [(SEVERITY_RANK[i.severity], i.incident_id) for i in ordered]
    assert keys == sorted(keys, reverse=True)


@given(items, st.sampled_from(list(SortOrder)))
def test_resolved_at_puts_nulls_last_in_both_directions(rows: list[Item], order: SortOrder) -> None:
    ordered = sort_incidents(rows, SortField.RESOLVED_AT, order)
    nulls = [i.resolved_at is None for i in ordered]
    assert nulls == sorted(nulls)  # every False (present) before every True (null)
    present = [(i.resolved_at, i.incident_id) for i in ordered if i.resolved_at is not None]
    assert present == sorted(present, reverse=order is SortOrder.DESC)


def test_order_terms_rank_severity_and_tie_break_by_id() -> None:
    primary, tie = order_terms(SortField.SEVERITY, SortOrder.ASC)
    assert primary.rank is not None
    assert (
        primary.rank["critical"]
        > primary.rank["high"]
        > primary.rank["medium"]
        > primary.rank["low"]
    )
    assert (tie.column, tie.descending) == ("incident_id", False)
