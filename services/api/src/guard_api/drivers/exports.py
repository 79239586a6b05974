"""Export jobs and signing keys (read-only: the exporter writes them)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from guard_storage.models.exports import ExportJob, ExportSigningKey
from guard_storage.models.ingest import Incident

_JOB_COLUMNS = (
    ExportJob.export_id,
    ExportJob.incident_id,
    ExportJob.kind,
    ExportJob.format,
    ExportJob.status,
    ExportJob.error,
    ExportJob.requested_by,
    ExportJob.requested_at,
    ExportJob.completed_at,
    ExportJob.filename,
    ExportJob.content_type,
    ExportJob.size_bytes,
    ExportJob.sha256,
)


class ExportJobReader:
    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection

    async def incident_exists(self, tenant_id: str, incident_id: uuid.UUID) -> bool:
        query = select(Incident.incident_id).where(
            Incident.tenant_id == tenant_id, Incident.incident_id == incident_id
        )
        return (await self._conn.execute(query)).first() is not None

    async def job(self, tenant_id: str, export_id: uuid.UUID) -> dict[str, Any] | None:
        query = select(*_JOB_COLUMNS).where(
            ExportJob.tenant_id == tenant_id, ExportJob.export_id == export_id
        )
        row = (await self._conn.execute(query)).mappings().first()
        # End the implicit transaction so a later poll sees the exporter's newer commits.
        await self._conn.rollback()
        return dict(row) if row else None

    async def artifact(self, tenant_id: str, export_id: uuid.UUID) -> bytes | None:
        query = select(ExportJob.artifact, ExportJob.artifact_path).where(
            ExportJob.tenant_id == tenant_id,
            ExportJob.export_id == export_id,
            ExportJob.status == "completed",
        )
        row = (await self._conn.execute(query)).first()
        await self._conn.rollback()
        if row is None:
            return None
        content, path = row
        if content is not None:
            return bytes(content)
        if path is not None:
            return await asyncio.to_thread(Path(path).read_bytes)
        return None

    async def signing_keys(self) -> list[dict[str, Any]]:
        k = ExportSigningKey
        query = select(
            k.key_id, k.algorithm, k.public_key_pem, k.development, k.registered_at
        ).order_by(k.registered_at.desc(), k.key_id)
        rows = [dict(r) for r in (await self._conn.execute(query)).mappings()]
        await self._conn.rollback()
        return rows
