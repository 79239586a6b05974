"""Driver behaviour against the real Postgres: where daily spend comes from, artifact files."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import UTC, date, datetime
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
DAY = date(2026, 11, 20)


async def _spend(database_url: str, tenant_id: str) -> list[dict[str, Any]]:
    engine = create_engine(database_url, pool_size=1)
    try:
        async with IncidentReader(engine).snapshot() as snap:
            return await snap.daily_spend(tenant_id, date(2026, 11, 13), date(2026, 11, 27))
    finally:
        await engine.dispose()


async def test_daily_spend_from_raw_events_until_rollups_exist(
    db: Any, database_url: str, tenant_id: str
) -> None:
    rows = sample_rows(tenant_id, n_timeline=4, n_steps=10)
    await insert_rows(db, rows)
    assert await _spend(database_url, tenant_id) == [{"day": DAY, "cost_micros": 10 * 12_345}]
    await db.executemany(
        "INSERT INTO cost_rollups_daily (tenant_id, day, feature_tag, model, user_id, cost_micros,"
        " request_count, input_tokens, output_tokens) VALUES ($1, $2, $3, 'm', '', $4, 1, 1, 1)",
        [
            (tenant_id, datetime(2026, 11, 19, tzinfo=UTC), "a", 7_000_000),
            (tenant_id, datetime(2026, 11, 20, tzinfo=UTC), "a", 1_000_000),
            (tenant_id, datetime(2026, 11, 20, tzinfo=UTC), "b", 2_000_000),
        ],
    )
    assert await _spend(database_url, tenant_id) == [
        {"day": date(2026, 11, 19), "cost_micros": 7_000_000},
        {"day": DAY, "cost_micros": 3_000_000},
    ]


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
