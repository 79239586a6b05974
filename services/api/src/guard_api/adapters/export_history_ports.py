"""What the export-history routes see: request and answer models and a protocol (docs/exports.md).

The routes import only this module; ``adapters.exports.ExportsService`` (on the gateway)
implements it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from guard_api.adapters.auth import Principal
from guard_api.adapters.exports_ports import ExportLinks
from guard_api.adapters.rfc3339 import UtcDateTime
from guard_contracts.enums import (
    Category,
    ExportFormat,
    ExportKind,
    ExportStatus,
    LifecycleState,
    Severity,
)
from guard_contracts.events import LongText, ShortText

#: A history cursor: microseconds since 1970 and an export id (see adapters.export_history).
CURSOR_PATTERN = r"^[0-9]{1,16}-[0-9a-f]{32}$"
HISTORY_MAX_LIMIT = 100
HISTORY_DEFAULT_LIMIT = 20


class AuditFilters(BaseModel):
    """Optional narrowing; each list matches any of its values."""

    model_config = ConfigDict(extra="forbid")

    severities: list[Severity] | None = Field(default=None, max_length=4)
    categories: list[Category] | None = Field(default=None, max_length=8)
    lifecycle_states: list[LifecycleState] | None = Field(default=None, max_length=3)


class AuditPeriodExportCreate(BaseModel):
    """Every incident of the tenant created in [from, to), as one signed ZIP (empty when
    ``to`` is not after ``from``)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    period_from: UtcDateTime = Field(alias="from", description="RFC 3339, inclusive.")
    period_to: UtcDateTime = Field(alias="to", description="RFC 3339, exclusive.")
    filters: AuditFilters = Field(default_factory=AuditFilters)
    # The contract's text types: stripped, no U+0000, ``prepared_for`` not blank (what the
    # published event requires; docs/product/events.md#text).
    export_reason: LongText | None = None
    prepared_for: ShortText | None = None

    # A ``to`` at or before ``from`` is an empty period (an archive with no incident), not an
    # error: the OpenAPI schema cannot express the ordering, and a schema-valid request is served.


class AuditExportAccepted(BaseModel):
    """The 202 answer to an audit-period export request."""

    export_id: uuid.UUID
    kind: ExportKind
    format: ExportFormat
    status: ExportStatus
    period_from: datetime
    period_to: datetime
    links: ExportLinks


class ExportHistoryItem(BaseModel):
    export_id: uuid.UUID
    incident_id: uuid.UUID | None = Field(
        default=None, description="None for an audit-period export."
    )
    kind: ExportKind
    format: ExportFormat
    status: ExportStatus
    error: str | None = None
    requested_by: str
    requested_at: datetime
    export_reason: str | None = None
    prepared_for: str | None = None
    period: dict[str, Any] | None = Field(
        default=None, description="For an audit-period export: period_from, period_to, filters."
    )
    completed_at: datetime | None = None
    filename: str | None = None
    content_type: str | None = None
    size_bytes: int | None = None
    sha256: str | None = None
    signing_key_id: str | None = None
    links: ExportLinks


class ExportHistoryPage(BaseModel):
    items: list[ExportHistoryItem]
    limit: int
    next_cursor: str | None = Field(
        default=None, description="Pass as ?cursor= for the next (older) page; null at the end."
    )


class ExportHistoryPort(Protocol):
    """The audit-period and history use cases; the gateway's ``exports`` service implements them
    next to ``ExportsPort`` (one producer, one id scheme, one pending memory)."""

    async def request_audit(
        self, principal: Principal, body: AuditPeriodExportCreate
    ) -> AuditExportAccepted: ...
    async def history(
        self,
        tenant_id: str,
        *,
        limit: int,
        cursor: str | None,
        kind: ExportKind | None,
        incident_id: uuid.UUID | None,
    ) -> ExportHistoryPage: ...
