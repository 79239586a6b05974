"""The incident as other services and the console see it (docs/product/incidents.md#fields, docs/product/rest-api.md#lists)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from guard_contracts.enums import (
    Category,
    CauseType,
    LifecycleState,
    ResolutionMethod,
    Severity,
    SourceType,
    TriggerType,
)
from guard_contracts.events import UsdNumber


class IncidentSummary(BaseModel):
    """A list item (docs/product/rest-api.md)."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    incident_id: uuid.UUID
    tenant_id: str
    lifecycle_state: LifecycleState
    severity: Severity
    category: Category
    cause_type: CauseType
    title: str
    trigger_type: TriggerType | None
    policy_id: str | None
    affected_agent_id: str | None
    llm_run_id: str | None
    calls_affected: int
    event_count: int
    cost_impact_usd: UsdNumber
    created_at: datetime
    last_event_at: datetime
    resolved_at: datetime | None
    is_synthetic: bool


class IncidentDetail(IncidentSummary):
    """Every field of docs/product/incidents.md."""

    description: str
    source_type: SourceType
    fingerprint: str
    error_code: str | None
    error_message: str | None
    first_event_at: datetime
    acked_at: datetime | None
    acked_by: str | None
    resolved_by: str | None
    resolution_method: ResolutionMethod | None
    recurrence_of: uuid.UUID | None
    updated_at: datetime
