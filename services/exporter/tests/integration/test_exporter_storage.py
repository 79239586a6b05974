"""Driver behaviour against the real Postgres: the chart's spend buckets, artifact files."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from exporter_harness import (
    export_request,
    exporter_settings,
    publish,
    running_exporter,
    wait_for_job,
)
from exporter_samples import insert_rows, sample_rows

from guard_contracts.topics import Topics
from guard_exporter.drivers.incident_reader import IncidentReader
from guard_storage.db import create_engine

pytestmark = pytest.mark.integration


async def _spend(database_url: str, tenant_id: str, **scope: Any) -> list[dict[str, Any]]:
    engine = create_engine(database_url, pool_size=1)
    try:
        async with IncidentReader(engine).snapshot() as snap:
            return await snap.spend_buckets(
                tenant_id,
                **{"run_id": None, "agent_id": None, **scope},
                start=datetime(2026, 11, 20, 8, 30, tzinfo=UTC),
                end=datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
                bucket=timedelta(minutes=15),
            )
    finally:
        await engine.dispose()


async def test_spend_buckets_of_the_run_or_the_agent_from_raw_events(
    db: Any, database_url: str, tenant_id: str
) -> None:
    rows = sample_rows(tenant_id, n_timeline=4, n_steps=10)  # steps from 08:50, 50 ms apart
    await insert_rows(db, rows)
    expected = [{"start": datetime(2026, 11, 20, 8, 45, tzinfo=UTC), "cost_micros": 10 * 12_345}]
    assert await _spend(database_url, tenant_id, run_id="run-42") == expected
    assert await _spend(database_url, tenant_id, agent_id="agent-billing") == expected
    assert await _spend(database_url, tenant_id, run_id="another-run") == []


async def test_artifacts_can_live_in_a_directory(
    db: Any, database_url: str, kafka_bootstrap: str, topics: Topics, tenant_id: str, tmp_path: Path
) -> None:
    rows = sample_rows(tenant_id, n_timeline=6, n_steps=3)
    await insert_rows(db, rows)
    request = export_request(tenant_id, rows.incident["incident_id"], "evidence", "zip")
    settings = exporter_settings(database_url, kafka_bootstrap, topics, artifact_dir=tmp_path)
    async with running_exporter(settings):
        await publish(kafka_bootstrap, topics.export_requests, tenant_id, orjson.dumps(request))
        job = await wait_for_job(db, request["export_id"])
    assert job["artifact"] is None
    stored = Path(job["artifact_path"])
    assert stored == (tmp_path / tenant_id / str(uuid.UUID(request["export_id"]))).resolve()
    content = await asyncio.to_thread(stored.read_bytes)
    assert hashlib.sha256(content).hexdigest() == job["sha256"]
    assert len(content) == job["size_bytes"]
    assert not await asyncio.to_thread(lambda: list(stored.parent.glob(".*.partial")))
