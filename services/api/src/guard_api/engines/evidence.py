"""Evidence rules (O4, docs/product/evidence-and-proof.md#evidence): the run's summary and recovery suggestions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from guard_contracts.enums import Category, KillswitchAction, LifecycleState

MAX_RELATED = 10
MAX_STEPS = 500


class Priority(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@dataclass(frozen=True, slots=True)
class Suggestion:
    action: str
    description: str
    priority: Priority


class Step(Protocol):
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def input_tokens(self) -> int: ...
    @property
    def output_tokens(self) -> int: ...
    @property
    def cost_micros(self) -> int: ...
    @property
    def duration_ms(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class RunTotals:
    input_tokens: int
    output_tokens: int
    cost_micros: int
    duration_ms: int
    first_event_at: datetime | None
    last_event_at: datetime | None


def run_totals(steps: Sequence[Step]) -> RunTotals:
    times = [s.occurred_at for s in steps]
    return RunTotals(
        input_tokens=sum(s.input_tokens for s in steps),
        output_tokens=sum(s.output_tokens for s in steps),
        cost_micros=sum(s.cost_micros for s in steps),
        duration_ms=sum(s.duration_ms or 0 for s in steps),
        first_event_at=min(times, default=None),
        last_event_at=max(times, default=None),
    )


_BY_CATEGORY: dict[str, tuple[Suggestion, ...]] = {
    Category.BUDGET_EXCEEDED: (
        Suggestion(
            "review_budget",
            "Check whether the budget still fits the workload before raising it.",
            Priority.HIGH,
        ),
        Suggestion(
            "cap_run_cost",
            "Cap the cost of a single run so one loop cannot exhaust the budget.",
            Priority.MEDIUM,
        ),
    ),
    Category.EXECUTION_FAILURE: (
        Suggestion(
            "inspect_failing_steps",
            "Inspect the failing steps of the run and the model errors they returned.",
            Priority.HIGH,
        ),
        Suggestion(
            "add_retry_backoff",
            "Retry with backoff, or fall back to another model, instead of repeating the call.",
            Priority.MEDIUM,
        ),
    ),
    Category.RATE_LIMIT: (
        Suggestion(
            "throttle_callers",
            "Spread the calls over time or raise the provider rate limit.",
            Priority.MEDIUM,
        ),
    ),
    Category.CONTENT_POLICY: (
        Suggestion(
            "review_prompts",
            "Review the prompts and outputs that hit the content policy.",
            Priority.HIGH,
        ),
    ),
    Category.POLICY_VIOLATION: (
        Suggestion(
            "review_policy",
            "Check the violated rule and whether the agent's permissions match it.",
            Priority.HIGH,
        ),
    ),
    Category.FREEZE: (
        Suggestion(
            "confirm_freeze_scope",
            "Confirm what the freeze covers before lifting it.",
            Priority.HIGH,
        ),
    ),
    Category.MANUAL: (
        Suggestion(
            "record_reason",
            "Record why the killswitch was pulled so the next responder knows.",
            Priority.LOW,
        ),
    ),
    Category.COST_ANOMALY: (
        Suggestion(
            "compare_baseline",
            "Compare the spend with its baseline by feature, model and user to find the driver.",
            Priority.HIGH,
        ),
    ),
}


def recovery_suggestions(
    category: str, lifecycle_state: str, actions: Sequence[str | None], has_run: bool
) -> list[Suggestion]:
    """Suggestions from the category, the killswitch actions taken and the incident's state."""
    found = list(_BY_CATEGORY.get(category, ()))
    contained = any(a in (KillswitchAction.STOPPED, KillswitchAction.FROZEN) for a in actions)
    open_incident = lifecycle_state != LifecycleState.RESOLVED
    if open_incident and contained:
        found.append(
            Suggestion(
                "release_after_fix",
                "The run is stopped; release the killswitch once the cause is fixed.",
                Priority.MEDIUM,
            )
        )
    if open_incident and not contained and actions:
        found.append(
            Suggestion(
                "stop_run",
                "Nothing has stopped the run yet; stop or freeze it if the cause persists.",
                Priority.HIGH,
            )
        )
    if has_run:
        found.append(
            Suggestion(
                "rollback_run",
                "Roll back the run's side effects if its steps changed external state.",
                Priority.LOW,
            )
        )
    if lifecycle_state == LifecycleState.ACTIVE:
        found.append(
            Suggestion(
                "acknowledge",
                "Acknowledge the incident so others know it is being handled.",
                Priority.MEDIUM,
            )
        )
    return found
