"""Evidence (O4, docs/product/evidence-and-proof.md#evidence) and proof (O5, docs/product/evidence-and-proof.md#proof) bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from guard_contracts.enums import KillswitchAction, TimelineEntryType, TriggerType
from guard_contracts.events import UsdNumber
from guard_contracts.incidents import IncidentSummary


class RunStep(BaseModel):
    """One billed model call of the incident's run."""

    event_id: uuid.UUID
    step_index: int | None
    occurred_at: datetime
    model: str
    provider: str | None
    agent_id: str | None
    input_tokens: int
    output_tokens: int
    cost_usd: UsdNumber
    duration_ms: int | None
    status: str | None


class SourceRun(BaseModel):
    run_id: str
    agent_id: str | None
    steps: list[RunStep] = Field(description="In step order (step_index, then time); at most 500.")
    step_count: int = Field(description="All cost events of the run, even beyond the 500 shown.")
    total_input_tokens: int
    total_output_tokens: int
    total_cost_usd: UsdNumber
    total_duration_ms: int
    first_event_at: datetime | None
    last_event_at: datetime | None


class PolicyTrigger(BaseModel):
    """One killswitch event attached to the incident."""

    event_id: uuid.UUID
    event_type: str
    killswitch_id: str
    trigger_type: TriggerType | None
    policy_id: str | None
    rule: str | None
    reason: str | None
    action: KillswitchAction | None
    actor_id: str | None
    calls_affected: int
    occurred_at: datetime


class SuggestionPriority(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class RecoverySuggestion(BaseModel):
    action: str = Field(description="Stable identifier of the suggested step.")
    description: str
    priority: SuggestionPriority


class Evidence(BaseModel):
    incident_id: uuid.UUID
    source_run: SourceRun | None = Field(description="Null when the incident has no run.")
    policies_triggered: list[PolicyTrigger]
    related_incidents: list[IncidentSummary] = Field(
        description="Same run or fingerprint, newest first, at most 10."
    )
    recovery_suggestions: list[RecoverySuggestion]


class VerificationStatus(StrEnum):
    VERIFIED = "VERIFIED"
    TAMPERED = "TAMPERED"


class Integrity(BaseModel):
    verification_status: VerificationStatus
    algorithm: str
    root_hash: str | None = Field(description="The recomputed head of the chain.")
    event_count: int
    first_broken_sequence: int | None = Field(
        description="Position (1-based) of the first link that does not verify; null when VERIFIED."
    )
    recorded_root_hash: str | None = Field(
        default=None,
        description="The head the incident records (timeline_head); the chain must end there.",
    )
    recorded_event_count: int | None = Field(
        default=None,
        description="The entry count the incident records (timeline_length).",
    )
    problems: list[str] = Field(
        default_factory=list,
        description="What does not verify, in words (empty when VERIFIED).",
    )


class TimelineItem(BaseModel):
    """One change of an incident, as people read it (docs/product/rest-api.md#timeline)."""

    sequence: int = Field(description="1, 2, 3, … in the order ingest recorded the changes.")
    entry_type: TimelineEntryType
    occurred_at: datetime
    source_event_id: uuid.UUID | None = Field(
        description="The event or command that caused the change, when one did."
    )
    data: dict[str, Any] = Field(
        description="What changed: the attached event, the actor and notes of a command, the "
        "severities of an escalation."
    )


class TimelineEntry(TimelineItem):
    """A timeline entry with its link in the hash chain (proof, O5)."""

    prev_hash: str | None
    hash: str


class IncidentTimeline(BaseModel):
    """Every change of one incident, oldest first; served in production as well (ours)."""

    incident_id: uuid.UUID
    entries: list[TimelineItem]


class RawLog(BaseModel):
    """A stored raw killswitch payload, decoded when it is JSON."""

    event_id: uuid.UUID
    event_type: str
    occurred_at: datetime
    payload: Any = Field(description="The JSON payload, or the text when it is not JSON.")


class Proof(BaseModel):
    incident_id: uuid.UUID
    integrity: Integrity
    traces: list[RunStep] = Field(description="The run's cost events (at most 500).")
    raw_logs: list[RawLog]
    timeline: list[TimelineEntry]
