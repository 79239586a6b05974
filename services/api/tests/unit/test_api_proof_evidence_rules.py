from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from guard_api.engines.evidence import recovery_suggestions, run_totals
from guard_api.engines.proof import hashed_entry, verify_timeline
from guard_contracts.chain import link_hash

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
            seq, "event_attached", T0 + timedelta(seconds=seq), uuid.uuid4(), {"n": seq}, prev, ""
        )
        digest = link_hash(prev, hashed_entry(link))
        links.append(replace(link, hash=digest))
        prev = digest
    return links


def test_intact_chain_verifies_in_any_input_order() -> None:
    links = chain(4)
    verdict = verify_timeline(list(reversed(links)))
    assert verdict.verified
    assert verdict.root_hash == links[-1].hash
    assert verdict.event_count == 4


def test_edited_data_is_detected_at_its_link() -> None:
    links = chain(4)
    links[2] = replace(links[2], data={"n": 999})
    verdict = verify_timeline(links)
    assert not verdict.verified
    assert verdict.first_broken_sequence == 3


def test_empty_timeline_verifies_with_no_root() -> None:
    verdict = verify_timeline([])
    assert verdict.verified
    assert verdict.root_hash is None
    assert verdict.event_count == 0


@dataclass(frozen=True)
class Step:
    occurred_at: datetime
    input_tokens: int
    output_tokens: int
    cost_micros: int
    duration_ms: int | None


def test_run_totals_add_up() -> None:
    steps = [Step(T0, 10, 5, 1_500_000, 100), Step(T0 + timedelta(seconds=3), 7, 2, 250_000, None)]
    totals = run_totals(steps)
    assert (totals.input_tokens, totals.output_tokens, totals.cost_micros) == (17, 7, 1_750_000)
    assert totals.duration_ms == 100
    assert (totals.first_event_at, totals.last_event_at) == (T0, T0 + timedelta(seconds=3))
    assert run_totals([]).first_event_at is None


def test_suggestions_follow_category_containment_and_state() -> None:
    stopped = recovery_suggestions("BUDGET_EXCEEDED", "ACTIVE", ["stopped"], has_run=True)
    actions = [s.action for s in stopped]
    assert actions[:2] == ["review_budget", "cap_run_cost"]
    assert "release_after_fix" in actions
    assert "stop_run" not in actions
    assert "acknowledge" in actions
    assert "rollback_run" in actions
    alerted = [
        s.action for s in recovery_suggestions("RATE_LIMIT", "ACKED", ["alerted"], has_run=False)
    ]
    assert "stop_run" in alerted
    assert "acknowledge" not in alerted
    assert "rollback_run" not in alerted
    resolved = [
        s.action for s in recovery_suggestions("FREEZE", "RESOLVED", ["frozen"], has_run=False)
    ]
    assert resolved == ["confirm_freeze_scope"]
