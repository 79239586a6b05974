"""Builds the exporter's collaborators from settings (used by the composition root and tests)."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from faststream.kafka import KafkaBroker
from guard_runtime.dlq import DlqPublisher
from sqlalchemy.ext.asyncio import AsyncEngine

from guard_exporter.adapters.processing import ExportProcessor, ProcessingPolicy, Renderer
from guard_exporter.adapters.retention import ExportRetention
from guard_exporter.adapters.signing import load_signing_key, public_pem
from guard_exporter.config import Settings
from guard_exporter.drivers.artifacts import ArtifactDirectory
from guard_exporter.drivers.incident_reader import IncidentReader
from guard_exporter.drivers.jobs import ExportJobRepository
from guard_exporter.drivers.period_reader import PeriodReader
from guard_exporter.drivers.results import ResultPublisher
from guard_exporter.engines.render import render
from guard_storage.db import create_engine


@dataclass
class ExporterParts:
    engine: AsyncEngine
    dlq: DlqPublisher
    processor: ExportProcessor
    jobs: ExportJobRepository
    public_key_pem: str
    retention: ExportRetention | None = None
    _retention_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.dlq.start()
        await self.processor.register_key(self.public_key_pem)
        if self.retention is not None:
            self._retention_task = asyncio.create_task(
                self.retention.run(), name="export-retention"
            )

    async def stop(self) -> None:
        if self._retention_task is not None:
            self._retention_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retention_task
            self._retention_task = None
        await self.dlq.stop()
        await self.engine.dispose()

    async def ready(self) -> bool:
        return await self.jobs.ping()


def build_parts(
    settings: Settings, broker: KafkaBroker, renderer: Renderer = render
) -> ExporterParts:
    engine = create_engine(settings.database_url, pool_size=4)
    key = load_signing_key(
        settings.signing_key.get_secret_value() if settings.signing_key else None,
        settings.signing_key_file,
    )
    topics = settings.topics()
    jobs = ExportJobRepository(engine)
    artifacts = ArtifactDirectory(settings.artifact_dir) if settings.artifact_dir else None
    dlq = DlqPublisher(settings.kafka_bootstrap_servers, topics.dlq, client_id="guard-exporter-dlq")
    processor = ExportProcessor(
        jobs=jobs,
        reader=IncidentReader(engine),
        results=ResultPublisher(broker, topics.export_results),
        dlq=dlq,
        signing_key=key,
        policy=ProcessingPolicy(
            max_message_bytes=settings.max_message_bytes,
            max_attempts=settings.max_attempts,
            retry_backoff_seconds=settings.retry_backoff_seconds,
            max_run_steps=settings.max_run_steps,
        ),
        artifacts=artifacts,
        renderer=renderer,
        period_reader=PeriodReader(engine),
    )
    retention = None
    if settings.retention_days is not None:
        retention = ExportRetention(
            jobs, artifacts, settings.retention_days, settings.retention_interval_seconds
        )
    return ExporterParts(engine, dlq, processor, jobs, public_pem(key), retention)
