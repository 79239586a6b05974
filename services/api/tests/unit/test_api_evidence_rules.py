"""Evidence rules of the API (run totals, recovery suggestions); the proof chain is guard_rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from guard_api.engines.evidence import recovery_suggestions, run_totals

T0 = datetime(2026, 1, 1, tzinfo=UTC)


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
