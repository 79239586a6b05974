"""The incident as the readers hold it: one field list for the list item and the detail.

The wire models (``guard_contracts.incidents``) say what the REST API sends; these records are
what the readers (the API's repositories, the exporter) load from the incidents table before
shaping it. Money stays in integer micro-dollars here. Field meanings:
docs/product/incidents.md#fields.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True, slots=True)
class IncidentSummaryRecord:
    """The fields of a list item, in the order the lists show them."""

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
class IncidentRecord(IncidentSummaryRecord):
    """Every field of an incident: the list item's and the rest the detail adds."""

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


#: Column names of a list item and of the detail, in record order (money as ``*_micros``).
SUMMARY_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(IncidentSummaryRecord))
DETAIL_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(IncidentRecord))


def wire_name(field: str) -> str:
    """The field's name on the wire: money goes out in USD (``cost_impact_micros`` →
    ``cost_impact_usd``); every other field keeps its name."""
    return field.removesuffix("_micros") + "_usd" if field.endswith("_micros") else field
