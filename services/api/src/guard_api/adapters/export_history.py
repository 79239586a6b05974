"""Audit-period export requests and the export history (docs/exports.md).

``POST /api/v1/exports/audit-period`` publishes ``export.audit_period_requested`` (the exporter
creates and renders the job); ``GET /api/v1/exports`` lists the tenant's exports, newest first,
with an opaque cursor. The API writes no table. These are the pieces
``adapters.exports.ExportsService`` (on the gateway) uses: it mints the export id, publishes with
its producer and remembers the pending export like any other.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from guard_api.adapters.auth import Principal
from guard_api.adapters.errors import ApiError
from guard_api.adapters.export_history_ports import (
    CURSOR_PATTERN,
    AuditExportAccepted,
    AuditPeriodExportCreate,
    ExportHistoryItem,
    ExportHistoryPage,
)
from guard_api.adapters.exports_ports import ExportLinks
from guard_api.drivers.database import AsyncConnection
from guard_api.drivers.export_history import ExportHistoryReader
from guard_contracts.enums import ExportFormat, ExportKind, ExportStatus
from guard_contracts.events import AuditPeriodExportRequested, AuditPeriodFilters


def _links(export_id: uuid.UUID) -> ExportLinks:
    base = f"/api/v1/exports/{export_id}"
    return ExportLinks(self=base, download=f"{base}/download")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def encode_cursor(requested_at: datetime, export_id: uuid.UUID) -> str:
    """``<microseconds since 1970>-<export id hex>``: the last row of a page, in a form where
    every string the documented pattern allows is a position (so no cursor is "invalid")."""
    micros = (requested_at - _EPOCH) // timedelta(microseconds=1)
    return f"{micros}-{export_id.hex}"


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    micros, _, hex_id = cursor.partition("-")
    try:
        return _EPOCH + timedelta(microseconds=int(micros)), uuid.UUID(hex=hex_id)
    except (ValueError, OverflowError):
        raise ApiError(
            "validation_error",
            f"cursor: must match {CURSOR_PATTERN} (use next_cursor as given)",
            status=422,
            field="cursor",
        ) from None


def _item(row: dict[str, Any]) -> ExportHistoryItem:
    parameters = row.pop("parameters", None)
    return ExportHistoryItem(**row, period=parameters, links=_links(row["export_id"]))


def audit_event(
    principal: Principal, body: AuditPeriodExportCreate, export_id: uuid.UUID
) -> AuditPeriodExportRequested:
    """The ``export.audit_period_requested`` event of a request (the gateway mints the id)."""
    filters = AuditPeriodFilters.model_validate(body.filters.model_dump(exclude_none=True))
    return AuditPeriodExportRequested(
        event_id=uuid.uuid4(),
        tenant_id=principal.tenant_id,
        occurred_at=datetime.now(UTC),
        export_id=export_id,
        period_from=body.period_from,
        period_to=body.period_to,
        filters=filters,
        requested_by=principal.subject,
        export_reason=body.export_reason,
        prepared_for=body.prepared_for,
    )


def audit_accepted(event: AuditPeriodExportRequested) -> AuditExportAccepted:
    return AuditExportAccepted(
        export_id=event.export_id,
        kind=ExportKind.AUDIT_PERIOD,
        format=ExportFormat.ZIP,
        status=ExportStatus.PENDING,
        period_from=event.period_from,
        period_to=event.period_to,
        links=_links(event.export_id),
    )


async def history_page(
    connection: AsyncConnection,
    tenant_id: str,
    *,
    limit: int,
    cursor: str | None,
    kind: ExportKind | None,
    incident_id: uuid.UUID | None,
) -> ExportHistoryPage:
    """One page of the tenant's exports, newest request first; ``next_cursor`` when more."""
    after = decode_cursor(cursor) if cursor else None
    rows = await ExportHistoryReader(connection).page(
        tenant_id,
        limit=limit + 1,
        after=after,
        kind=kind.value if kind else None,
        incident_id=incident_id,
    )
    more = len(rows) > limit
    items = [_item(r) for r in rows[:limit]]
    last = items[-1] if more and items else None
    return ExportHistoryPage(
        items=items,
        limit=limit,
        next_cursor=encode_cursor(last.requested_at, last.export_id) if last else None,
    )
