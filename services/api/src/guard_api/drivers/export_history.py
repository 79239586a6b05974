"""The tenant's export jobs, newest request first, a page at a time (read-only: the exporter
writes ``export_jobs``). Keyset pagination on (requested_at, export_id) uses the index
``ix_export_jobs_tenant_requested`` however deep the page."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from guard_storage.models.exports import ExportJob

_COLUMNS = (
    ExportJob.export_id,
    ExportJob.incident_id,
    ExportJob.kind,
    ExportJob.format,
    ExportJob.status,
    ExportJob.error,
    ExportJob.requested_by,
    ExportJob.requested_at,
    ExportJob.export_reason,
    ExportJob.prepared_for,
    ExportJob.parameters,
    ExportJob.completed_at,
    ExportJob.filename,
    ExportJob.content_type,
    ExportJob.size_bytes,
    ExportJob.sha256,
    ExportJob.signing_key_id,
)


class ExportHistoryReader:
    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection

    async def page(
        self,
        tenant_id: str,
        *,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
        kind: str | None,
        incident_id: uuid.UUID | None,
    ) -> list[dict[str, Any]]:
        """Up to ``limit`` jobs older than ``after`` (the last row of the previous page)."""
        j = ExportJob
        query = select(*_COLUMNS).where(j.tenant_id == tenant_id)
        if kind is not None:
            query = query.where(j.kind == kind)
        if incident_id is not None:
            query = query.where(j.incident_id == incident_id)
        if after is not None:
            at, export_id = after
            query = query.where(
                or_(j.requested_at < at, and_(j.requested_at == at, j.export_id < export_id))
            )
        query = query.order_by(j.requested_at.desc(), j.export_id.desc()).limit(limit)
        rows = [dict(r) for r in (await self._conn.execute(query)).mappings()]
        await self._conn.rollback()
        return rows
