"""What the timeline hashes and verifying a stored timeline (guard_rules.timeline)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from guard_contracts.chain import link_hash
from guard_contracts.enums import TimelineEntryType
from guard_rules.timeline import hash_input, hash_input_of, verify_timeline

DETERMINISTIC = settings(derandomize=True, max_examples=100)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Link:
    sequence: int
    entry_type: str
    occurred_at: datetime
    source_event_id: uuid.UUID | None
    data: dict[str, Any]
    prev_hash: str | None
    hash: str


def chain(n: int) -> list[Link]:
    links: list[Link] = []
    prev = None
    for seq in range(1, n + 1):
        link = Link(
            seq,
            "event_attached",
            T0 + timedelta(seconds=seq),
            uuid.UUID(int=seq),
            {"n": seq},
            prev,
            "",
        )
        digest = link_hash(prev, hash_input_of(link))
        links.append(replace(link, hash=digest))
        prev = digest
    return links


def test_the_hash_input_is_five_plain_fields() -> None:
    entry = hash_input(1, TimelineEntryType.CREATED, T0, None, {"a": 1})
    assert entry == {
        "sequence": 1,
        "entry_type": "created",
        "occurred_at": "2026-01-01T00:00:00+00:00",
        "source_event_id": None,
        "data": {"a": 1},
    }
    assert type(entry["entry_type"]) is str
    # A known digest: changing what is hashed would break every stored chain.
    assert link_hash(None, entry) == link_hash(
        None,
        {
            "data": {"a": 1},
            "entry_type": "created",
            "occurred_at": "2026-01-01T00:00:00+00:00",
            "sequence": 1,
            "source_event_id": None,
        },
    )


def test_intact_chain_verifies_in_any_input_order() -> None:
    links = chain(4)
    verdict = verify_timeline(list(reversed(links)))
    assert verdict.verified
    assert verdict.root_hash == links[-1].hash
    assert verdict.event_count == 4


def test_empty_timeline_verifies_with_no_root() -> None:
    verdict = verify_timeline([])
    assert (verdict.verified, verdict.root_hash, verdict.event_count) == (True, None, 0)


@DETERMINISTIC
@given(st.integers(1, 8), st.data())
def test_any_edit_is_found_at_its_link(n: int, data: st.DataObject) -> None:
    links = chain(n)
    at = data.draw(st.integers(0, n - 1))
    field = data.draw(st.sampled_from(["data", "entry_type", "occurred_at", "source_event_id"]))
    edited = {
        "data": {"n": -1},
        "entry_type": "resolved",
        "occurred_at": T0 - timedelta(days=1),
        "source_event_id": None,
    }[field]
    links[at] = replace(links[at], **{field: edited})
    verdict = verify_timeline(links)
    assert not verdict.verified
    assert verdict.first_broken_sequence == at + 1
