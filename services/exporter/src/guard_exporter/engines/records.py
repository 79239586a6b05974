"""Plain data the renderers work on. Adapters build these from driver rows (docs/product/incidents.md#fields, docs/product/exports.md).

The high-volume rows (timeline, events, steps) are NamedTuples: ten thousands of them are built per
export, and a tuple is several times cheaper to build than a frozen dataclass.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from guard_contracts.enums import ExportFormat, ExportKind
from guard_rules import incident as rules


@dataclass(frozen=True, slots=True)
class ExportSpec:
    """What to render: one ``export.requested``. ``requested_at`` stamps the artifact."""

    export_id: uuid.UUID
    tenant_id: str
    incident_id: uuid.UUID
    kind: ExportKind
    format: ExportFormat
    requested_by: str
    requested_at: datetime
    export_reason: str | None = None
    prepared_for: str | None = None


@dataclass(frozen=True, slots=True)
class IncidentRecord(rules.IncidentRecord):
    """Every incident field (``guard_rules.incident``, money in micro-dollars), plus the
    containment time and the timeline head the exports need."""

    contained_at: datetime | None
    timeline_length: int
    timeline_head: str | None


class TimelineRow(NamedTuple):
    sequence: int
    entry_type: str
    occurred_at: datetime
    source_event_id: uuid.UUID | None
    data: dict[str, Any]
    prev_hash: str | None
    hash: str


class SourceEvent(NamedTuple):
    """A killswitch event attached to the incident; ``raw`` is the payload as received."""

    event_id: uuid.UUID
    event_type: str
    occurred_at: datetime
    killswitch_id: str
    trigger_type: str | None
    action: str | None
    run_id: str | None
    agent_id: str | None
    policy_id: str | None
    rule: str | None
    reason: str | None
    actor_id: str | None
    calls_affected: int
    cost_delta_micros: int | None
    error_rate: Decimal | None
    severity: str | None
    raw: bytes


class RunStep(NamedTuple):
    """One billed model call of an affected run."""

    event_id: uuid.UUID
    occurred_at: datetime
    run_id: str | None
    step_index: int | None
    agent_id: str | None
    model: str
    provider: str | None
    input_tokens: int
    output_tokens: int
    cost_micros: int
    duration_ms: int | None
    status: str | None


@dataclass(frozen=True, slots=True)
class SimilarIncident:
    """A resolved incident of the same tenant, for learnings (docs/product/analytics.md#learnings)."""

    incident_id: uuid.UUID
    fingerprint: str
    category: str
    resolution_method: str | None
    created_at: datetime
    resolved_at: datetime | None


class SpendBucket(NamedTuple):
    """Billed spend of the incident's run or agent in one chart bucket starting at ``start``."""

    start: datetime
    cost_micros: int


@dataclass(frozen=True, slots=True)
class IncidentData:
    """Everything an export of one incident reads, loaded in one read-only snapshot."""

    incident: IncidentRecord
    timeline: tuple[TimelineRow, ...]
    events: tuple[SourceEvent, ...]
    run_steps: tuple[RunStep, ...]
    similar: tuple[SimilarIncident, ...] = ()
    spend: tuple[SpendBucket, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Artifact:
    content: bytes
    content_type: str
    filename: str
    sha256: str
    size_bytes: int
