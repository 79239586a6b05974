"""Crash test: kill -9 the ingest process twice mid-stream; nothing is lost or doubled.

Produces GUARD_INGEST_CRASH_EVENTS (default 50,000) mixed events while a subprocess ingests them,
SIGKILLs it twice, restarts it, and then compares the database with a clean, uninterrupted run
into a second database: the same distinct events, the exact cost sum, the same incidents and the
same timeline hashes.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from guard_contracts.topics import Topics
from guard_devtools.services import (
    eventually,
    mixed_workload,
    produce_workload,
    run_ingest,
    run_ingest_process,
)
from guard_devtools.testing import Servers, fresh_databases
from guard_storage.db import to_asyncpg_dsn

pytestmark = [pytest.mark.integration, pytest.mark.slow]
EVENTS = int(os.environ.get("GUARD_INGEST_CRASH_EVENTS", "50000"))
TENANTS = 50
INCIDENT_COLUMNS = "incident_id, tenant_id, lifecycle_state, severity, fingerprint, event_count, " \
    "calls_affected, cost_impact_micros, created_at, last_event_at, resolved_at, " \
    "resolution_method, recurrence_of, timeline_length, timeline_head, updated_at"  # fmt: skip


@pytest.fixture(scope="module")
def clean_database_url(servers: Servers) -> Iterator[str]:
    """A second fresh database for the uninterrupted reference run."""
    with fresh_databases(servers.database_url, "guard_crash_ref") as (url,):
        yield url


async def _snapshot(url: str, tenants: list[str]) -> dict[str, Any]:
    conn = await asyncpg.connect(to_asyncpg_dsn(url))
    try:
        return {
            "cost": await conn.fetchrow(
                "SELECT count(*) AS n, count(DISTINCT event_id) AS d, sum(cost_micros) AS s "
                "FROM cost_events WHERE tenant_id = ANY($1)", tenants),
            "killswitch": await conn.fetchval(
                "SELECT count(*) FROM killswitch_events WHERE tenant_id = ANY($1)", tenants),
            "incidents": [tuple(r) for r in await conn.fetch(
                f"SELECT {INCIDENT_COLUMNS} FROM incidents WHERE tenant_id = ANY($1) "
                "ORDER BY incident_id", tenants)],
            "timeline": [tuple(r) for r in await conn.fetch(
                "SELECT incident_id, sequence, hash FROM incident_events WHERE tenant_id = ANY($1) "
                "ORDER BY incident_id, sequence", tenants)],
        }  # fmt: skip
    finally:
        await conn.close()


async def _stored(url: str, tenants: list[str]) -> int:
    conn = await asyncpg.connect(to_asyncpg_dsn(url))
    try:
        return int(await conn.fetchval(
            "SELECT (SELECT count(*) FROM cost_events WHERE tenant_id = ANY($1)) + "
            "(SELECT count(*) FROM killswitch_events WHERE tenant_id = ANY($1))", tenants))  # fmt: skip
    finally:
        await conn.close()


async def test_kill_dash_nine_twice_loses_and_doubles_nothing(
    kafka_bootstrap: str, database_url: str, clean_database_url: str, topics: Topics, tmp_path: Any
) -> None:
    start = datetime.now(UTC) - timedelta(minutes=9)
    work = mixed_workload(EVENTS, tenants=TENANTS, start=start, span=timedelta(minutes=8))
    tenants = sorted({tenant for _, tenant, _ in work.messages})
    thirds = [work.messages[i * EVENTS // 3 : (i + 1) * EVENTS // 3] for i in range(3)]
    replayed = work.messages[: EVENTS // 50]  # a producer retrying: duplicates must be skipped

    async with run_ingest_process(kafka_bootstrap, database_url, topics,
                                  log_path=str(tmp_path / "ingest.log")) as proc:  # fmt: skip
        await produce_workload(kafka_bootstrap, topics, thirds[0])
        for chunk in (thirds[1], thirds[2] + replayed):
            before = await _stored(database_url, tenants)
            producing = asyncio.create_task(produce_workload(kafka_bootstrap, topics, chunk))
            await eventually(lambda: _stored(database_url, tenants),
                             lambda n, b=before: n > b + 500, within_s=60)  # fmt: skip
            proc.kill()  # SIGKILL mid-stream: no graceful shutdown, offsets not committed
            await producing
            await proc.restart()
        await eventually(lambda: _stored(database_url, tenants), lambda n: n >= EVENTS,
                         within_s=240)  # fmt: skip
        assert proc.terminate() == 0

    async with run_ingest(kafka_bootstrap, clean_database_url, topics):
        await eventually(lambda: _stored(clean_database_url, tenants), lambda n: n >= EVENTS,
                         within_s=240)  # fmt: skip
        await asyncio.sleep(1)  # let a straggling replayed duplicate arrive (it must be skipped)

    crashed = await _snapshot(database_url, tenants)
    clean = await _snapshot(clean_database_url, tenants)
    assert crashed["cost"]["n"] == crashed["cost"]["d"] == work.cost_events
    assert crashed["cost"]["s"] == work.cost_micros
    assert crashed["killswitch"] == work.killswitch_events
    assert crashed["cost"] == clean["cost"]
    assert len(crashed["incidents"]) > TENANTS
    assert crashed["incidents"] == clean["incidents"]
    assert crashed["timeline"] == clean["timeline"]
