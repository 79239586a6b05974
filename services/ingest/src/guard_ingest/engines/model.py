"""Plain data the incident engine works on: an incident, a timeline entry, an outcome.

No I/O and no framework: adapters load these from the drivers' rows and hand them back to be
written. Money is integer micro-dollars; times are timezone-aware UTC event times.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from enum import StrEnum
from operator import attrgetter
from typing import Any

from guard_contracts.enums import (
    Category,
    CauseType,
    LifecycleState,
    ResolutionMethod,
    Severity,
    SourceType,
    TimelineEntryType,
    TriggerType,
)
from guard_contracts.wire import DlqReason

#: incident_id = uuid5(INCIDENT_NAMESPACE, f"{tenant_id}:{opening event_id}") — shared decision.
INCIDENT_NAMESPACE = uuid.UUID("3c5e8f2a-9b1d-4f6e-a7c0-5d2b8e4f1a93")
AUTO_RESOLVER = "system_auto_resolve"
OVERFLOW_PREFIX = "rate_limit_overflow|"


def incident_id_for(tenant_id: str, opening_event_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(INCIDENT_NAMESPACE, f"{tenant_id}:{opening_event_id}")


@dataclass(frozen=True, slots=True)
class EngineConfig:
    group_window: timedelta = timedelta(seconds=300)
    idle_timeout: timedelta = timedelta(seconds=900)
    anomaly_idle_timeout: timedelta = timedelta(hours=24)
    flood_cap_per_hour: int = 20


@dataclass(slots=True)
class Incident:
    """One incident as stored (docs/product/incidents.md); mutated only by the engine."""

    incident_id: uuid.UUID
    tenant_id: str
    lifecycle_state: LifecycleState
    severity: Severity
    category: Category
    cause_type: CauseType
    title: str
    description: str
    source_type: SourceType
    fingerprint: str
    created_at: datetime
    first_event_at: datetime
    last_event_at: datetime
    updated_at: datetime
    llm_run_id: str | None = None
    affected_agent_id: str | None = None
    policy_id: str | None = None
    trigger_type: TriggerType | None = None
    calls_affected: int = 0
    event_count: int = 0
    cost_impact_micros: int = 0
    error_code: str | None = None
    error_message: str | None = None
    acked_at: datetime | None = None
    acked_by: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolution_method: ResolutionMethod | None = None
    recurrence_of: uuid.UUID | None = None
    is_synthetic: bool = False
    contained_at: datetime | None = None
    timeline_length: int = 0
    timeline_head: str | None = None

    @property
    def is_open(self) -> bool:
        return self.lifecycle_state is not LifecycleState.RESOLVED

    @property
    def is_overflow(self) -> bool:
        return self.fingerprint.startswith(OVERFLOW_PREFIX)

    def snapshot(self) -> Incident:
        # A copy per timeline entry: positional fields via one attrgetter are ~4x cheaper than
        # dataclasses.replace on this hot path.
        return Incident(*_INCIDENT_VALUES(self))


_INCIDENT_VALUES = attrgetter(*(f.name for f in fields(Incident)))


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One ``incident_events`` row; ``hash`` chains it to the previous entry of its incident."""

    incident_id: uuid.UUID
    tenant_id: str
    sequence: int
    entry_type: TimelineEntryType
    occurred_at: datetime
    source_event_id: uuid.UUID | None
    data: dict[str, Any]
    prev_hash: str | None
    hash: str
    #: The incident as it stands right after this entry (published as IncidentChanged).
    incident: Incident = field(compare=False, repr=False)


class OutcomeKind(StrEnum):
    APPLIED = "applied"
    NOOP = "noop"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: OutcomeKind
    incident_id: uuid.UUID | None = None
    code: DlqReason | None = None
    message: str | None = None

    @classmethod
    def applied(cls, incident_id: uuid.UUID | None) -> Outcome:
        return cls(OutcomeKind.APPLIED, incident_id)

    @classmethod
    def noop(cls, incident_id: uuid.UUID | None) -> Outcome:
        return cls(OutcomeKind.NOOP, incident_id)

    @classmethod
    def rejected(cls, code: DlqReason, message: str) -> Outcome:
        return cls(OutcomeKind.REJECTED, None, code, message)
