"""Export use cases (docs/product/rest-api.md#exports): request an export, read its status, download its artifact.

The API writes no table: a request is published as ``export.requested`` and the exporter creates
the job. The gateway mints the export id so that it can tell, before the exporter has recorded
the job, an export this tenant asked for (``pending``) from a wrong or foreign id (404); see
``engines.export_ids`` and docs/operations-gateway.md.

No database connection is held while a ``?wait`` request sleeps: each poll borrows one from the
pool and returns it.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any

from guard_api.adapters import export_history
from guard_api.adapters.auth import Principal
from guard_api.adapters.errors import ApiError, Conflict, NotFound, Unavailable
from guard_api.adapters.export_history_ports import (
    AuditExportAccepted,
    AuditPeriodExportCreate,
    ExportHistoryPage,
)
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
from guard_api.drivers.commands import KafkaPublisher, PublishFailed
from guard_api.drivers.exports import ExportJobReader
from guard_api.engines import export_ids
from guard_contracts.enums import EXPORT_FORMATS, ExportFormat, ExportKind, ExportStatus
from guard_contracts.events import AuditPeriodExportRequested, ExportRequested
from guard_contracts.wire import encode

#: Said of the development key wherever it is listed (docs/exports.md, "Signing").
DEVELOPMENT_KEY_WARNING = (
    "development key: derived from a public string, so anyone can sign with it; artifacts "
    "signed with it prove nothing"
)
#: How often a waiting request looks at the job again.
POLL_SECONDS = 0.2
#: How long a recognised id the exporter has not recorded yet is looked for before a 503.
RECORD_GRACE_SECONDS = 2.0
#: Requests this process accepted, remembered (export id -> its pending view) until the
#: exporter's record takes over; bounded in count and age.
_PENDING_MAX = 10_000
_PENDING_TTL_S = 600.0
FINISHED = frozenset({ExportStatus.COMPLETED, ExportStatus.FAILED})

#: Opens one pooled database connection (returned to the pool on exit).
Connect = Callable[[], AbstractAsyncContextManager[Any]]


def links(export_id: uuid.UUID) -> ExportLinks:
    base = f"/api/v1/exports/{export_id}"
    return ExportLinks(self=base, download=f"{base}/download")


class ExportsService:
    def __init__(self, settings: Settings, connect: Connect) -> None:
        self._publisher = KafkaPublisher(
            settings.kafka_bootstrap_servers,
            settings.topic_export_requests,
            timeout_s=settings.kafka_timeout_s,
            client_id="guard-api-exports",
        )
        self._connect = connect
        configured = settings.export_id_key
        self._key = (
            configured.get_secret_value().encode() if configured else secrets.token_bytes(32)
        )
        self._pending: OrderedDict[uuid.UUID, tuple[float, str, ExportPublic]] = OrderedDict()

    async def start(self) -> None:
        await self._publisher.start()

    async def stop(self) -> None:
        await self._publisher.stop()

    async def _job(self, tenant_id: str, export_id: uuid.UUID) -> dict[str, Any] | None:
        async with self._connect() as connection:
            return await ExportJobReader(connection).job(tenant_id, export_id)

    async def request(
        self,
        principal: Principal,
        incident_id: uuid.UUID,
        kind: ExportKind,
        body: ExportCreate,
        wait: float,
    ) -> ExportAccepted:
        """The accepted request; its ``status`` is finished when ``wait`` saw the job finish."""
        if body.format not in EXPORT_FORMATS[kind]:
            allowed = ", ".join(sorted(EXPORT_FORMATS[kind]))
            raise ApiError(
                "validation_error",
                f"format: {kind.value} is rendered as {allowed}",
                status=422,
                field="format",
            )
        async with self._connect() as connection:
            exists = await ExportJobReader(connection).incident_exists(
                principal.tenant_id, incident_id
            )
        if not exists:
            raise NotFound("incident")
        export_id = export_ids.mint(self._key, principal.tenant_id)
        event = ExportRequested(
            event_id=uuid.uuid4(),
            tenant_id=principal.tenant_id,
            occurred_at=datetime.now(UTC),
            export_id=export_id,
            incident_id=incident_id,
            kind=kind,
            format=body.format,
            requested_by=principal.subject,
            export_reason=body.export_reason,
            prepared_for=body.prepared_for,
        )
        await self._publish_pending(principal, event, incident_id, kind, body.format)
        job = await _wait_for(self._job, principal.tenant_id, export_id, wait)
        status = ExportStatus(job["status"]) if job else ExportStatus.PENDING
        return ExportAccepted(
            export_id=export_id,
            incident_id=incident_id,
            kind=kind,
            format=body.format,
            status=status,
            links=links(export_id),
        )

    async def request_audit(
        self, principal: Principal, body: AuditPeriodExportCreate
    ) -> AuditExportAccepted:
        """Every incident of the tenant in a period as one signed ZIP (docs/exports.md); the id is
        minted here like any export's, so its status reads ``pending`` until the exporter
        records the job."""
        export_id = export_ids.mint(self._key, principal.tenant_id)
        event = export_history.audit_event(principal, body, export_id)
        await self._publish_pending(
            principal, event, None, ExportKind.AUDIT_PERIOD, ExportFormat.ZIP
        )
        return export_history.audit_accepted(event)

    async def _publish_pending(
        self,
        principal: Principal,
        event: ExportRequested | AuditPeriodExportRequested,
        incident_id: uuid.UUID | None,
        kind: ExportKind,
        fmt: ExportFormat,
    ) -> None:
        """Publish the request (503 when Kafka does not take it), then remember it as pending so
        its status answers from the 202 on, before the exporter has recorded the job."""
        try:
            await self._publisher.publish(principal.tenant_id, encode(event))
        except PublishFailed as exc:
            raise Unavailable("unavailable", f"the export was not requested: {exc}") from exc
        self._remember(
            principal.tenant_id,
            ExportPublic(
                export_id=event.export_id,
                incident_id=incident_id,
                kind=kind,
                format=fmt,
                status=ExportStatus.PENDING,
                requested_by=principal.subject,
                requested_at=event.occurred_at,
                links=links(event.export_id),
            ),
        )

    async def history(
        self,
        tenant_id: str,
        *,
        limit: int,
        cursor: str | None,
        kind: ExportKind | None,
        incident_id: uuid.UUID | None,
    ) -> ExportHistoryPage:
        async with self._connect() as connection:
            return await export_history.history_page(
                connection,
                tenant_id,
                limit=limit,
                cursor=cursor,
                kind=kind,
                incident_id=incident_id,
            )

    def _remember(self, tenant_id: str, view: ExportPublic) -> None:
        self._pending[view.export_id] = (time.monotonic(), tenant_id, view)
        while len(self._pending) > _PENDING_MAX:
            self._pending.popitem(last=False)

    def _pending_view(self, tenant_id: str, export_id: uuid.UUID) -> ExportPublic | None:
        entry = self._pending.get(export_id)
        if entry is None:
            return None
        at, owner, view = entry
        if time.monotonic() - at > _PENDING_TTL_S:
            del self._pending[export_id]
            return None
        return view if owner == tenant_id else None

    async def status(self, tenant_id: str, export_id: uuid.UUID) -> ExportPublic:
        job = await self._job(tenant_id, export_id)
        if job is not None:
            self._pending.pop(export_id, None)
            return ExportPublic(**job, links=links(export_id))
        if not export_ids.minted_for(self._key, tenant_id, export_id):
            raise NotFound("export")
        view = self._pending_view(tenant_id, export_id)
        if view is not None:
            return view
        # Minted for this tenant by a replica sharing the key (or before a restart): the
        # exporter records it within moments; look again briefly, then ask to retry.
        job = await _wait_for(self._job, tenant_id, export_id, RECORD_GRACE_SECONDS, any_job=True)
        if job is not None:
            return ExportPublic(**job, links=links(export_id))
        raise Unavailable(
            "unavailable", "the export is accepted but not recorded yet; retry", retry_after=1
        )

    async def download(self, tenant_id: str, export_id: uuid.UUID, wait: float) -> Download:
        job = await _wait_for(self._job, tenant_id, export_id, wait)
        if job is None:
            if export_ids.minted_for(self._key, tenant_id, export_id):
                raise Conflict(
                    "export_not_ready",
                    "the export is pending; retry later or ask with ?wait=seconds",
                )
            raise NotFound("export")
        if job["status"] == ExportStatus.FAILED:
            raise Conflict("export_failed", f"the export failed: {job['error']}")
        if job["status"] != ExportStatus.COMPLETED:
            raise Conflict(
                "export_not_ready",
                f"the export is {job['status']}; retry later or ask with ?wait=seconds",
            )
        async with self._connect() as connection:
            content = await ExportJobReader(connection).artifact(tenant_id, export_id)
        if content is None:
            raise NotFound("export artifact")
        return Download(
            content=content,
            content_type=job["content_type"],
            filename=job["filename"],
            sha256=job["sha256"],
        )

    async def signing_keys(self) -> SigningKeys:
        async with self._connect() as connection:
            rows = await ExportJobReader(connection).signing_keys()
        return SigningKeys(
            keys=[
                SigningKeyPublic(**r, warning=DEVELOPMENT_KEY_WARNING if r["development"] else None)
                for r in rows
            ]
        )


async def _wait_for(
    read: Callable[[str, uuid.UUID], Any],
    tenant_id: str,
    export_id: uuid.UUID,
    wait: float,
    *,
    any_job: bool = False,
) -> dict[str, Any] | None:
    """The job, polled (one pooled connection per look, none held while sleeping) until it is
    finished (or, with ``any_job``, recorded at all) or ``wait`` seconds have passed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + min(max(wait, 0.0), MAX_WAIT_SECONDS)
    while True:
        job: dict[str, Any] | None = await read(tenant_id, export_id)
        done = job is not None and (any_job or job["status"] in FINISHED)
        if done or loop.time() >= deadline:
            return job
        await asyncio.sleep(POLL_SECONDS)
