"""Retention of finished export jobs, by their writer
(docs/operations-scaling.md#growth-partitions-and-retention): completed and failed jobs older than the retention go, with their artifact files;
pending ones, recent ones and files outside the artifact directory stay. Real PostgreSQL.

The clock is fixed in 2015, so only the rows arranged here are old enough to go."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from guard_exporter.adapters.retention import ExportRetention
from guard_exporter.adapters.service import build_parts
from guard_exporter.drivers.artifacts import ArtifactDirectory
from guard_exporter.drivers.jobs import ExportJobRepository
from guard_storage.db import create_engine

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]
NOW = datetime(2015, 1, 10, tzinfo=UTC)


@pytest_asyncio.fixture(loop_scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    created = create_engine(database_url, pool_size=2)
    try:
        yield created
    finally:
        await created.dispose()


async def _job(
    db: Any, tenant: str, status: str, completed_at: datetime | None, path: str | None = None
) -> uuid.UUID:
    export_id = uuid.uuid4()
    await db.execute(
        "INSERT INTO export_jobs (export_id, tenant_id, kind, format, status, requested_by,"
        " requested_at, attempts, updated_at, completed_at, artifact, artifact_path)"
        " VALUES ($1, $2, 'soc2', 'pdf', $3, 'auditor@example.com', $4, 1, $4, $4, $5, $6)",
        export_id, tenant, status, completed_at or NOW, b"%PDF" if path is None else None, path,
    )  # fmt: skip
    if completed_at is None:
        await db.execute(
            "UPDATE export_jobs SET completed_at = NULL WHERE export_id = $1", export_id
        )
    return export_id


async def test_finished_jobs_past_the_retention_go_with_their_files(
    db: Any, engine: AsyncEngine, tenant_id: str, tmp_path: Path
) -> None:
    artifacts = ArtifactDirectory(tmp_path)
    stored = await artifacts.write(tenant_id, uuid.uuid4(), b"zip bytes")
    old = datetime(2014, 11, 1, tzinfo=UTC)
    gone = [
        await _job(db, tenant_id, "completed", old, stored),
        await _job(db, tenant_id, "completed", old),  # artifact in PostgreSQL
        await _job(db, tenant_id, "failed", old),
    ]
    kept = [
        await _job(db, tenant_id, "completed", datetime(2015, 1, 2, tzinfo=UTC)),
        await _job(db, tenant_id, "pending", None),
        await _job(db, tenant_id, "rendering", None),
    ]
    retention = ExportRetention(
        ExportJobRepository(engine), artifacts, days=30, interval_s=3600, clock=lambda: NOW
    )
    assert await retention.once() == 3
    left = await db.fetch("SELECT export_id FROM export_jobs WHERE tenant_id = $1", tenant_id)
    assert {r[0] for r in left} == set(kept)
    assert not await asyncio.to_thread(Path(stored).exists)
    assert await retention.once() == 0  # nothing more, and it does not fail on a second run
    assert not set(gone) & {r[0] for r in left}


async def test_a_file_outside_the_artifact_directory_is_never_deleted(
    db: Any, engine: AsyncEngine, tenant_id: str, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("not an artifact")
    root = tmp_path / "artifacts"
    root.mkdir()
    await _job(db, tenant_id, "completed", datetime(2014, 10, 1, tzinfo=UTC), str(outside))
    retention = ExportRetention(
        ExportJobRepository(engine), ArtifactDirectory(root), days=30, interval_s=3600,
        clock=lambda: NOW,
    )  # fmt: skip
    assert await retention.once() == 1  # the row goes; the stray path is refused and logged
    assert outside.read_text() == "not an artifact"


async def test_retention_runs_only_when_asked(database_url: str, kafka_bootstrap: str) -> None:
    from faststream.kafka import KafkaBroker

    from guard_exporter.config import Settings

    base = {"database_url": database_url, "kafka_bootstrap_servers": kafka_bootstrap,
            "environment": "development"}  # fmt: skip
    broker = KafkaBroker(kafka_bootstrap)
    without = build_parts(Settings(**base), broker)
    with_days = build_parts(Settings(**base, retention_days=30), broker)
    try:
        assert without.retention is None
        assert with_days.retention is not None
    finally:
        await without.engine.dispose()
        await with_days.engine.dispose()
