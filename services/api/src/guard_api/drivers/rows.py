"""Plain rows the repositories return (never ORM objects). Money stays in micro-dollars here."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from uuid import UUID


@dataclass(frozen=True, slots=True)
class IncidentSummaryRow:
    incident_id: UUID
    tenant_id: str
    lifecycle_state: str
    severity: str
    category: str
    cause_type: str
    title: str
    trigger_type: str | None
    policy_id: str | None
    affected_agent_id: str | None
    llm_run_id: str | None
    calls_affected: int
    event_count: int
    cost_impact_micros: int
    created_at: datetime
    last_event_at: datetime
    resolved_at: datetime | None
    is_synthetic: bool


@dataclass(frozen=True, slots=True)
class IncidentRow(IncidentSummaryRow):
    description: str
    source_type: str
    fingerprint: str
    error_code: str | None
    error_message: str | None
    first_event_at: datetime
    acked_at: datetime | None
    acked_by: str | None
    resolved_by: str | None
    resolution_method: str | None
    recurrence_of: UUID | None
    updated_at: datetime


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
