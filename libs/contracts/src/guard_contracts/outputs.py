"""Events the services publish about their own results (docs/architecture.md#services)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from guard_contracts.enums import ExportFormat, ExportKind, ExportStatus, TimelineEntryType
from guard_contracts.events import ShortText, TenantId, to_utc
from guard_contracts.incidents import IncidentDetail

INCIDENT_CHANGE_NAMESPACE = uuid.UUID("0b8f4a1e-5d7c-4e2b-8a61-3c9e7d2f5a40")


class _Output(BaseModel):
    model_config = ConfigDict(frozen=True)

    event_id: uuid.UUID
    schema_version: int = 1
    tenant_id: str
    occurred_at: datetime


class IncidentChanged(_Output):
    """One timeline entry of one incident, with the incident as it stands after it."""

    event_type: Literal["incident.changed"] = "incident.changed"
    change_type: TimelineEntryType
    sequence: int
    incident: IncidentDetail
    data: dict[str, Any]

    @staticmethod
    def id_for(incident_id: uuid.UUID, sequence: int) -> uuid.UUID:
        """Deterministic, so a re-published change is recognisable downstream."""
        return uuid.uuid5(INCIDENT_CHANGE_NAMESPACE, f"{incident_id}:{sequence}")


class ExportResult(_Output):
    # Ingest stores the tenant, time, digest, size and requester of a completed result in the
    # incident's timeline: each is bounded to what PostgreSQL holds, so a result that cannot be
    # stored is a schema violation, not a transaction that fails on every delivery.
    event_type: Literal["export.result"] = "export.result"
    tenant_id: TenantId
    export_id: uuid.UUID
    #: None for an export of many incidents (``audit_period``).
    incident_id: uuid.UUID | None = None
    kind: ExportKind
    format: ExportFormat
    status: ExportStatus
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] | None = None
    size_bytes: Annotated[int, Field(ge=0, le=2**63 - 1)] | None = None
    error: str | None = None
    #: Who asked for the export (the ``exported`` timeline entry names them).
    requested_by: ShortText | None = None

    @field_validator("occurred_at")
    @classmethod
    def _storable_instant(cls, value: datetime) -> datetime:
        return value if value.tzinfo is None else to_utc(value)


class AnalyticsSnapshotCompleted(_Output):
    """Announces that a rollup snapshot advanced (docs/product/costs.md: the console sees complete snapshots)."""

    event_type: Literal["analytics.snapshot_completed"] = "analytics.snapshot_completed"
    snapshot: str
    watermark: datetime
    rows_changed: int
    details: dict[str, Any] = {}
