"""The export use case: one ``export.requested`` record → a finished job and an ``export.result``.

Delivery: the caller commits the Kafka offset only after :meth:`ExportProcessor.handle` returns.
It returns once the job is finished (completed or failed) or the message is dead-lettered; on an
infrastructure error it raises (after a pause), so the message is delivered again. A job left
``rendering`` by a crash is rendered again on redelivery, up to ``max_attempts`` times.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka import ConsumerRecord
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from guard_runtime.dlq import DeadLetter, DlqPublisher

from guard_contracts.enums import ExportFormat, ExportKind, ExportStatus
from guard_contracts.events import AuditPeriodExportRequested, ExportRequested
from guard_contracts.outputs import ExportResult
from guard_contracts.wire import ContractViolation, DlqReason, decode_event
from guard_exporter.adapters.audit_export import audit_spec_from, render_audit_period
from guard_exporter.adapters.loading import IncidentNotFound, load_incident_data
from guard_exporter.drivers.artifacts import ArtifactDirectory
from guard_exporter.drivers.incident_reader import IncidentReader
from guard_exporter.drivers.jobs import ExportJobRepository
from guard_exporter.drivers.period_reader import PeriodReader
from guard_exporter.drivers.results import ResultPublisher
from guard_exporter.engines.audit_period import AuditSpec
from guard_exporter.engines.keys import is_development_key, key_id
from guard_exporter.engines.records import Artifact, ExportSpec, IncidentData
from guard_exporter.engines.render import render

log = logging.getLogger(__name__)

RESULT_NAMESPACE = uuid.UUID("5c2a9e0e-8f51-4b0f-a7f4-5d9b3f1c2e77")
#: Turns a request and its data into an artifact; ``engines.render.render`` in production.
Renderer = Callable[[ExportSpec, IncidentData, Ed25519PrivateKey], Artifact]
_ALLOWED = frozenset({"export.requested", "export.audit_period_requested"})
_IDENTITY = ("tenant_id", "incident_id", "kind", "format")


@dataclass(frozen=True, slots=True)
class ProcessingPolicy:
    max_message_bytes: int
    max_attempts: int
    retry_backoff_seconds: float
    max_run_steps: int


def spec_from(event: ExportRequested) -> ExportSpec:
    return ExportSpec(
        export_id=event.export_id,
        tenant_id=event.tenant_id,
        incident_id=event.incident_id,
        kind=event.kind,
        format=event.format,
        requested_by=event.requested_by,
        requested_at=event.occurred_at,
        export_reason=event.export_reason,
        prepared_for=event.prepared_for,
    )


def result_event(job: dict[str, Any]) -> ExportResult:
    """Deterministic id and time, so re-publishing a finished job's result is recognisable."""
    status = ExportStatus(job["status"])
    return ExportResult(
        event_id=uuid.uuid5(RESULT_NAMESPACE, f"{job['export_id']}:{status.value}"),
        tenant_id=job["tenant_id"],
        occurred_at=job["completed_at"],
        export_id=job["export_id"],
        incident_id=job["incident_id"],
        kind=ExportKind(job["kind"]),
        format=ExportFormat(job["format"]),
        status=status,
        sha256=job.get("sha256"),
        size_bytes=job.get("size_bytes"),
        error=job.get("error"),
        requested_by=job.get("requested_by"),
    )


class ExportProcessor:
    def __init__(
        self,
        *,
        jobs: ExportJobRepository,
        reader: IncidentReader,
        results: ResultPublisher,
        dlq: DlqPublisher,
        signing_key: Ed25519PrivateKey,
        policy: ProcessingPolicy,
        artifacts: ArtifactDirectory | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        renderer: Renderer = render,
        period_reader: PeriodReader | None = None,
    ) -> None:
        self._period_reader = period_reader
        self._jobs = jobs
        self._reader = reader
        self._results = results
        self._dlq = dlq
        self._key = signing_key
        self._key_id = key_id(signing_key.public_key())
        self._policy = policy
        self._artifacts = artifacts
        self._clock = clock
        self._renderer = renderer

    async def handle(self, record: ConsumerRecord[Any, Any]) -> None:
        try:
            event = decode_event(
                record.value or b"", max_bytes=self._policy.max_message_bytes, allowed=_ALLOWED
            )
            if record.key is not None and record.key != event.tenant_id.encode():
                raise ContractViolation(
                    DlqReason.TENANT_KEY_MISMATCH, "the message key is not the event's tenant_id"
                )
        except ContractViolation as exc:
            await self._dead_letter(record, exc.code, exc.message)
            return
        if isinstance(event, AuditPeriodExportRequested):
            await self._guarded(
                event.export_id, self._process_audit(audit_spec_from(event), record)
            )
            return
        assert isinstance(event, ExportRequested)
        await self._guarded(event.export_id, self._process(spec_from(event), record))

    async def _guarded(self, export_id: uuid.UUID, work: Awaitable[None]) -> None:
        try:
            await work
        except Exception:
            # Database or broker trouble: pause, then let the message be delivered again.
            log.exception(
                "export processing failed; will retry", extra={"export_id": str(export_id)}
            )
            await asyncio.sleep(self._policy.retry_backoff_seconds)
            raise

    async def _process(self, spec: ExportSpec, record: ConsumerRecord[Any, Any]) -> None:
        job = await self._jobs.ensure(_job_row(spec))
        if any(str(job[k]) != str(_job_row(spec)[k]) for k in _IDENTITY):
            await self._dead_letter(
                record,
                DlqReason.SCHEMA_VIOLATION,
                f"export_id: {spec.export_id} already names a different export request",
            )
            return
        if job["status"] in (ExportStatus.COMPLETED, ExportStatus.FAILED):
            await self._results.publish(result_event(job))  # a crash may have lost the first one
            return
        attempts = await self._jobs.start_rendering(spec.tenant_id, spec.export_id)
        if attempts is None:
            return
        if attempts > self._policy.max_attempts:
            await self._finish_failed(
                spec, f"gave up after {attempts - 1} attempts that did not finish rendering"
            )
            return
        await self._render(spec, record)

    async def _render(self, spec: ExportSpec, record: ConsumerRecord[Any, Any]) -> None:
        try:
            data = await load_incident_data(
                self._reader, spec, max_run_steps=self._policy.max_run_steps
            )
        except IncidentNotFound as exc:
            await self._finish_failed(spec, str(exc))
            await self._dead_letter(record, DlqReason.UNKNOWN_INCIDENT, str(exc))
            return
        try:
            artifact = await asyncio.to_thread(self._renderer, spec, data, self._key)
        except Exception as exc:
            log.exception("render failed", extra={"export_id": str(spec.export_id)})
            await self._finish_failed(spec, f"render failed: {type(exc).__name__}: {exc}")
            return
        path = None
        if self._artifacts is not None:
            path = await self._artifacts.write(spec.tenant_id, spec.export_id, artifact.content)
        completed_at = self._clock()
        await self._jobs.complete(
            spec.tenant_id,
            spec.export_id,
            content_type=artifact.content_type,
            filename=artifact.filename,
            sha256=artifact.sha256,
            size_bytes=artifact.size_bytes,
            artifact=None if path else artifact.content,
            artifact_path=path,
            signing_key_id=self._key_id,
            completed_at=completed_at,
        )
        log.info(
            "export completed",
            extra={"export_id": str(spec.export_id), "bytes": artifact.size_bytes},
        )
        await self._results.publish(
            result_event(
                {
                    **_job_row(spec),
                    "status": "completed",
                    "completed_at": completed_at,
                    "sha256": artifact.sha256,
                    "size_bytes": artifact.size_bytes,
                }
            )
        )

    async def _finish_failed(self, spec: ExportSpec | AuditSpec, error: str) -> None:
        failed_at = self._clock()
        await self._jobs.fail(spec.tenant_id, spec.export_id, error, failed_at)
        row = {**_job_row(spec), "status": "failed", "completed_at": failed_at, "error": error}
        await self._results.publish(result_event(row))

    async def _process_audit(self, spec: AuditSpec, record: ConsumerRecord[Any, Any]) -> None:
        """The audit-period export: same job life cycle, a streamed renderer (docs/exports.md)."""
        row = _job_row(spec)
        job = await self._jobs.ensure(row)
        if any(str(job[k]) != str(row[k]) for k in _IDENTITY):
            await self._dead_letter(
                record,
                DlqReason.SCHEMA_VIOLATION,
                f"export_id: {spec.export_id} already names a different export request",
            )
            return
        if job["status"] in (ExportStatus.COMPLETED, ExportStatus.FAILED):
            await self._results.publish(result_event(job))
            return
        attempts = await self._jobs.start_rendering(spec.tenant_id, spec.export_id)
        if attempts is None:
            return
        if attempts > self._policy.max_attempts:
            await self._finish_failed(
                spec, f"gave up after {attempts - 1} attempts that did not finish rendering"
            )
            return
        assert self._period_reader is not None, "audit-period exports need a PeriodReader"
        spool_root = self._artifacts.spool_root if self._artifacts else None
        if self._artifacts is not None:
            target = self._artifacts.path_for(spec.tenant_id, spec.export_id)
        else:
            target = Path(tempfile.gettempdir()) / f"guard-audit-{spec.export_id}.zip"
        try:
            made = await render_audit_period(
                self._period_reader, spec, self._key, target, spool_root
            )
        except (OSError, ValueError) as exc:
            log.exception("audit export failed", extra={"export_id": str(spec.export_id)})
            await self._finish_failed(spec, f"render failed: {type(exc).__name__}: {exc}")
            return
        content: bytes | None = None
        path: str | None = str(made.path)
        if self._artifacts is None:  # no artifact directory: the ZIP goes into the job row
            content = await asyncio.to_thread(made.path.read_bytes)
            made.path.unlink(missing_ok=True)
            path = None
        completed_at = self._clock()
        await self._jobs.complete(
            spec.tenant_id,
            spec.export_id,
            content_type="application/zip",
            filename=audit_filename(spec),
            sha256=made.sha256,
            size_bytes=made.size_bytes,
            artifact=content,
            artifact_path=path,
            signing_key_id=self._key_id,
            completed_at=completed_at,
        )
        log.info(
            "audit export completed",
            extra={"export_id": str(spec.export_id), "incidents": made.incidents},
        )
        await self._results.publish(
            result_event(
                {
                    **row,
                    "status": "completed",
                    "completed_at": completed_at,
                    "sha256": made.sha256,
                    "size_bytes": made.size_bytes,
                }
            )
        )

    async def _dead_letter(self, record: ConsumerRecord[Any, Any], code: str, message: str) -> None:
        log.warning("dead-lettered", extra={"code": str(code), "reason": message})
        await self._dlq.publish([DeadLetter.from_record(record, code, message)])

    async def register_key(self, public_key_pem: str) -> None:
        await self._jobs.register_signing_key(
            self._key_id, public_key_pem, development=is_development_key(self._key.public_key())
        )


def audit_filename(spec: AuditSpec) -> str:
    return f"audit_period_{spec.tenant_id}_{spec.period_from:%Y%m%d}_{spec.period_to:%Y%m%d}.zip"


def _job_row(spec: ExportSpec | AuditSpec) -> dict[str, Any]:
    if isinstance(spec, AuditSpec):
        return {
            "export_id": spec.export_id,
            "tenant_id": spec.tenant_id,
            "incident_id": None,
            "kind": ExportKind.AUDIT_PERIOD.value,
            "format": ExportFormat.ZIP.value,
            "requested_by": spec.requested_by,
            "export_reason": spec.export_reason,
            "prepared_for": spec.prepared_for,
            "requested_at": spec.requested_at,
            "parameters": {
                "period_from": spec.period_from.isoformat(),
                "period_to": spec.period_to.isoformat(),
                "filters": spec.filters,
            },
        }
    return {
        "export_id": spec.export_id,
        "tenant_id": spec.tenant_id,
        "incident_id": spec.incident_id,
        "kind": spec.kind.value,
        "format": spec.format.value,
        "requested_by": spec.requested_by,
        "export_reason": spec.export_reason,
        "prepared_for": spec.prepared_for,
        "requested_at": spec.requested_at,
    }
