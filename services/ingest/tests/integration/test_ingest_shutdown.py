"""Graceful shutdown finishes the batch in hand before the process lets go of its partitions."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest

from guard_contracts.topics import Topics
from guard_devtools.services import run_ingest
from guard_ingest.adapters.service import IngestService

from .ingest_kafka_helpers import cost, produce

pytestmark = pytest.mark.integration


async def test_stop_waits_for_the_batch_in_hand(
    kafka_bootstrap: str, database_url: str, topics: Topics, db: asyncpg.Connection,
    tenant_id: str, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    started = asyncio.Event()
    original = IngestService._apply_cost

    async def slow_apply(self: IngestService, records: Any) -> None:
        started.set()
        await asyncio.sleep(1.5)  # the stop request arrives while this batch is in hand
        await original(self, records)

    monkeypatch.setattr(IngestService, "_apply_cost", slow_apply)
    async with run_ingest(kafka_bootstrap, database_url, topics):
        await produce(kafka_bootstrap, topics.cost_events, [cost(tenant_id) for _ in range(5)],
                      tenant_id)  # fmt: skip
        await asyncio.wait_for(started.wait(), 20)
    # run_ingest's exit is app.stop(): it returned only after the batch committed.
    assert (
        await db.fetchval("SELECT count(*) FROM cost_events WHERE tenant_id = $1", tenant_id) == 5
    )
