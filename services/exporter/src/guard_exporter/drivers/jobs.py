"""Export jobs (``export_jobs``): the exporter is their only writer.

Each method is its own short transaction, because a job's state must be durable *before* the slow
render starts (a crash then leaves it ``rendering``, which a redelivery re-renders). A job is keyed
(tenant_id, export_id) (docs/operations-scaling.md), so every statement names both.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from guard_storage.models.exports import ExportJob, ExportSigningKey

_STATE_COLUMNS = (
    ExportJob.export_id,
    ExportJob.tenant_id,
    ExportJob.incident_id,
    ExportJob.kind,
    ExportJob.format,
    ExportJob.status,
    ExportJob.attempts,
    ExportJob.error,
    ExportJob.sha256,
    ExportJob.size_bytes,
    ExportJob.completed_at,
)


class ExportJobRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def ensure(self, job: dict[str, Any]) -> dict[str, Any]:
        """Insert the job as ``pending`` unless it exists; return its current state either way."""
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(ExportJob)
                .values(**job, status="pending", attempts=0, updated_at=func.now())
                .on_conflict_do_nothing(index_elements=[ExportJob.tenant_id, ExportJob.export_id])
            )
            query = select(*_STATE_COLUMNS).where(
                ExportJob.tenant_id == job["tenant_id"], ExportJob.export_id == job["export_id"]
            )
            return dict((await conn.execute(query)).mappings().one())

    async def start_rendering(self, tenant_id: str, export_id: uuid.UUID) -> int | None:
        """Mark an unfinished job ``rendering`` and count the attempt; None when it is finished."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(ExportJob)
                .where(
                    ExportJob.tenant_id == tenant_id,
                    ExportJob.export_id == export_id,
                    ExportJob.status.in_(("pending", "rendering")),
                )
                .values(status="rendering", attempts=ExportJob.attempts + 1, updated_at=func.now())
                .returning(ExportJob.attempts)
            )
            attempts = result.scalar_one_or_none()
            return int(attempts) if attempts is not None else None

    async def complete(
        self,
        tenant_id: str,
        export_id: uuid.UUID,
        *,
        content_type: str,
        filename: str,
        sha256: str,
        size_bytes: int,
        artifact: bytes | None,
        artifact_path: str | None,
        signing_key_id: str,
        completed_at: datetime,
    ) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(ExportJob)
                .where(ExportJob.tenant_id == tenant_id, ExportJob.export_id == export_id)
                .values(
                    status="completed",
                    error=None,
                    content_type=content_type,
                    filename=filename,
                    sha256=sha256,
                    size_bytes=size_bytes,
                    artifact=artifact,
                    artifact_path=artifact_path,
                    signing_key_id=signing_key_id,
                    completed_at=completed_at,
                    updated_at=func.now(),
                )
            )

    async def fail(
        self, tenant_id: str, export_id: uuid.UUID, error: str, failed_at: datetime
    ) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(ExportJob)
                .where(
                    ExportJob.tenant_id == tenant_id,
                    ExportJob.export_id == export_id,
                    ExportJob.status != "completed",
                )
                .values(status="failed", error=error, completed_at=failed_at, updated_at=func.now())
            )

    async def register_signing_key(
        self, key_id: str, public_key_pem: str, *, development: bool
    ) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(ExportSigningKey)
                .values(
                    key_id=key_id,
                    algorithm="Ed25519",
                    public_key_pem=public_key_pem,
                    development=development,
                )
                .on_conflict_do_nothing(index_elements=[ExportSigningKey.key_id])
            )

    async def forget_finished(self, before: datetime, limit: int) -> list[str | None]:
        """Delete up to ``limit`` finished jobs completed before ``before`` (retention), with
        their artifacts stored in PostgreSQL; returns the artifact file path of each (None when
        it was stored in PostgreSQL), for the caller to delete after the commit."""
        oldest = (
            select(ExportJob.tenant_id, ExportJob.export_id)
            .where(ExportJob.status.in_(("completed", "failed")), ExportJob.completed_at < before)
            .order_by(ExportJob.completed_at)
            .limit(limit)
        )
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(ExportJob)
                .where(tuple_(ExportJob.tenant_id, ExportJob.export_id).in_(oldest))
                .returning(ExportJob.artifact_path)
            )
            return [row[0] for row in result]

    async def ping(self) -> bool:
        async with self._engine.connect() as conn:
            await conn.execute(select(1))
        return True
