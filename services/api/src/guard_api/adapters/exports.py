"""Export use cases (SPEC §6, §9): request an export, read its status, download its artifact.

The API writes no table: a request is published as ``export.requested`` and the exporter creates
the job. Until the exporter has recorded it, the export reads as not found.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from guard_api.adapters.auth import Principal
from guard_api.adapters.errors import ApiError, Conflict, NotFound
from guard_api.adapters.exports_ports import (
    MAX_WAIT_SECONDS,
    Download,
    ExportAccepted,
    ExportCreate,
    ExportLinks,
    ExportPublic,
    SigningKeyPublic,
    SigningKeys,
)
from guard_api.config import Settings
from guard_api.drivers.exports import ExportJobReader, ExportRequestPublisher
from guard_contracts.enums import EXPORT_FORMATS, ExportKind, ExportStatus
from guard_contracts.events import ExportRequested
from guard_contracts.wire import encode

#: Said of the development key wherever it is listed (docs/exports.md, "Signing").
DEVELOPMENT_KEY_WARNING = (
    "development key: derived from a public string, so anyone can sign with it; artifacts "
    "signed with it prove nothing"
)
#: How often a waiting request looks at the job again.
POLL_SECONDS = 0.2
_FINISHED = frozenset({ExportStatus.COMPLETED, ExportStatus.FAILED})


def links(export_id: uuid.UUID) -> ExportLinks:
    base = f"/api/v1/exports/{export_id}"
    return ExportLinks(self=base, download=f"{base}/download")


class ExportsService:
    def __init__(self, settings: Settings) -> None:
        self._publisher = ExportRequestPublisher(
            settings.kafka_bootstrap_servers, settings.topic_export_requests
        )

    async def start(self) -> None:
        await self._publisher.start()

    async def stop(self) -> None:
        await self._publisher.stop()

    async def request(
        self,
        connection: Any,
        principal: Principal,
        incident_id: uuid.UUID,
        kind: ExportKind,
        body: ExportCreate,
        wait: float,
    ) -> ExportAccepted:
        if body.format not in EXPORT_FORMATS[kind]:
            allowed = ", ".join(sorted(EXPORT_FORMATS[kind]))
            raise ApiError(
                "validation_error",
                f"format: {kind.value} is rendered as {allowed}",
                status=422,
                field="format",
            )
        reader = ExportJobReader(connection)
        if not await reader.incident_exists(principal.tenant_id, incident_id):
            raise NotFound("incident")
        event = ExportRequested(
            event_id=uuid.uuid4(),
            tenant_id=principal.tenant_id,
            occurred_at=datetime.now(UTC),
            export_id=uuid.uuid4(),
            incident_id=incident_id,
            kind=kind,
            format=body.format,
            requested_by=principal.subject,
            export_reason=body.export_reason,
            prepared_for=body.prepared_for,
        )
        await self._publisher.publish(principal.tenant_id, encode(event))
        job = await _wait_for(reader, principal.tenant_id, event.export_id, wait)
        status = ExportStatus(job["status"]) if job else ExportStatus.PENDING
        return ExportAccepted(
            export_id=event.export_id,
            incident_id=incident_id,
            kind=kind,
            format=body.format,
            status=status,
            links=links(event.export_id),
        )

    async def status(self, connection: Any, tenant_id: str, export_id: uuid.UUID) -> ExportPublic:
        job = await ExportJobReader(connection).job(tenant_id, export_id)
        if job is None:
            raise NotFound("export")
        return ExportPublic(**job, links=links(export_id))

    async def download(
        self, connection: Any, tenant_id: str, export_id: uuid.UUID, wait: float
    ) -> Download:
        reader = ExportJobReader(connection)
        job = await _wait_for(reader, tenant_id, export_id, wait)
        if job is None:
            raise NotFound("export")
        if job["status"] == ExportStatus.FAILED:
            raise Conflict("export_failed", f"the export failed: {job['error']}")
        if job["status"] != ExportStatus.COMPLETED:
            raise Conflict(
                "export_not_ready",
                f"the export is {job['status']}; retry later or ask with ?wait=seconds",
            )
        content = await reader.artifact(tenant_id, export_id)
        if content is None:
            raise NotFound("export artifact")
        return Download(
            content=content,
            content_type=job["content_type"],
            filename=job["filename"],
            sha256=job["sha256"],
        )

    async def signing_keys(self, connection: Any) -> SigningKeys:
        rows = await ExportJobReader(connection).signing_keys()
        return SigningKeys(
            keys=[
                SigningKeyPublic(**r, warning=DEVELOPMENT_KEY_WARNING if r["development"] else None)
                for r in rows
            ]
        )


async def _wait_for(
    reader: ExportJobReader, tenant_id: str, export_id: uuid.UUID, wait: float
) -> dict[str, Any] | None:
    """The job, polled until it is finished or ``wait`` seconds have passed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + min(max(wait, 0.0), MAX_WAIT_SECONDS)
    while True:
        job = await reader.job(tenant_id, export_id)
        if (job is not None and job["status"] in _FINISHED) or loop.time() >= deadline:
            return job
        await asyncio.sleep(POLL_SECONDS)
