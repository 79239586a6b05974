"""Plain rows the repositories return (never ORM objects). Money stays in micro-dollars here."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from uuid import UUID

from guard_rules.incident import IncidentRecord as IncidentRow
from guard_rules.incident import IncidentSummaryRecord as IncidentSummaryRow


@dataclass(frozen=True, slots=True)
class CostEventRow:
    event_id: UUID
    step_index: int | None
    occurred_at: datetime
    run_id: str | None
    agent_id: str | None
    model: str
    provider: str | None
    input_tokens: int
    output_tokens: int
    cost_micros: int
    duration_ms: int | None
    status: str | None


@dataclass(frozen=True, slots=True)
class KillswitchEventRow:
    event_id: UUID
    event_type: str
    occurred_at: datetime
    killswitch_id: str
    trigger_type: str | None
    action: str | None
    policy_id: str | None
    rule: str | None
    reason: str | None
    actor_id: str | None
    calls_affected: int
    raw: bytes


@dataclass(frozen=True, slots=True)
class TimelineRow:
    sequence: int
    entry_type: str
    occurred_at: datetime
    source_event_id: UUID | None
    data: dict[str, Any]
    prev_hash: str | None
    hash: str


def field_names(row_type: type[Any]) -> list[str]:
    return [f.name for f in fields(row_type)]


__all__ = [
    "CostEventRow",
    "IncidentRow",
    "IncidentSummaryRow",
    "KillswitchEventRow",
    "TimelineRow",
    "field_names",
]
