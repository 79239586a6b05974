"""Cost events are unique by (tenant_id, event_id) although cost_events is partitioned by
occurred_at: the same id sent again with another instant — in the same batch, in a later batch,
in another month — is stored once and counted once by the rollups
(docs/operations-scaling.md#growth-partitions-and-retention). Real Kafka, real PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from guard_analytics.adapters.rollup_job import catch_up
from guard_analytics.drivers.database import open_pool
from guard_contracts.topics import Topics
from guard_devtools.services import RunningIngest, eventually
from guard_ingest.drivers import raw_events
from guard_ingest.drivers.pool import create_pool
from guard_storage.partitions import ensure_partitions

from .ingest_kafka_helpers import cost, produce

pytestmark = pytest.mark.integration
Db = asyncpg.Connection
NOV = datetime(2025, 11, 20, 10, 0, tzinfo=UTC)
DEC = datetime(2025, 12, 20, 10, 0, tzinfo=UTC)
JAN = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def at(event: dict[str, Any], when: datetime) -> dict[str, Any]:
    return event | {"occurred_at": when.isoformat()}


async def stored(db: Db, tenant: str) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT event_id, occurred_at, cost_micros, tableoid::regclass::text AS part "
        "FROM cost_events WHERE tenant_id = $1 ORDER BY occurred_at",
        tenant,
    )


async def test_an_event_id_is_stored_and_counted_once_whatever_its_instant(
    ingest_service: RunningIngest,
    kafka_bootstrap: str,
    topics: Topics,
    db: Db,
    tenant_id: str,
    database_url: str,
) -> None:
    # Two real month partitions, so the two instants of one id would land in different tables.
    await ensure_partitions(db, NOV, JAN)
    a = at(cost(tenant_id, "1.5"), NOV)
    b = at(cost(tenant_id, "2"), NOV + timedelta(hours=1))
    # Same batch: a, then a again a month later (another partition), then b.
    await produce(kafka_bootstrap, topics.cost_events, [a, at(a, DEC), b], tenant_id)
    rows = await eventually(lambda: stored(db, tenant_id), lambda rows: len(rows) >= 2)
    # Later batches: a once more in a third month, then a marker event to know they are done.
    marker = at(cost(tenant_id, "0.25"), DEC)
    await produce(kafka_bootstrap, topics.cost_events, [at(a, JAN), at(b, DEC)], tenant_id)
    await produce(kafka_bootstrap, topics.cost_events, [marker], tenant_id)
    rows = await eventually(lambda: stored(db, tenant_id), lambda rows: len(rows) >= 3)

    assert [(str(r["event_id"]), r["occurred_at"], r["part"]) for r in rows] == [
        (a["event_id"], NOV, "cost_events_p202511"),
        (b["event_id"], NOV + timedelta(hours=1), "cost_events_p202511"),
        (marker["event_id"], DEC, "cost_events_p202512"),
    ]
    keys = await db.fetch(
        "SELECT event_id, occurred_at FROM cost_event_keys WHERE tenant_id = $1 "
        "ORDER BY occurred_at",
        tenant_id,
    )
    assert [(r["event_id"], r["occurred_at"]) for r in keys] == [
        (r["event_id"], r["occurred_at"]) for r in rows
    ]

    # Counted once: the rollups (what spend answers read) hold 1.5 + 2 + 0.25 dollars.
    pool = await open_pool(database_url, 2)
    try:
        await catch_up(pool, lambda: datetime.now(UTC))
    finally:
        await pool.close()
    spend = await db.fetchval(
        "SELECT sum(cost_micros) FROM cost_rollups_dimension_daily "
        "WHERE tenant_id = $1 AND dimension = 'tenant_id'",
        tenant_id,
    )
    hourly = await db.fetchval(
        "SELECT sum(request_count) FROM cost_rollups_tenant_hourly WHERE tenant_id = $1", tenant_id
    )
    assert (spend, hourly) == (3_750_000, 3)


async def test_the_writer_dedupes_within_a_batch_and_against_the_ledger(
    db: Db, tenant_id: str, database_url: str
) -> None:
    """The driver alone (both of its paths), in one transaction like the service's."""

    def row(event_id: uuid.UUID, when: datetime, micros: int) -> tuple[Any, ...]:
        return (tenant_id, event_id, when, None, None, None, None, None, "gpt-4o", None,
                1, 2, micros, None, None)  # fmt: skip

    first, second, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    pool = await create_pool(database_url, 1)
    try:
        async with pool.acquire() as conn, conn.transaction():
            # Fast path: nothing seen before, no duplicate in the batch.
            assert await raw_events.insert_cost_events(conn, [row(first, NOV, 1)]) == 1
            # Slow path: a duplicate within the batch (another month) and one already stored.
            batch = [row(second, DEC, 10), row(second, NOV, 20), row(first, JAN, 30),
                     row(third, JAN, 40), row(third, JAN, 50)]  # fmt: skip
            assert await raw_events.insert_cost_events(conn, batch) == 2
            # The failed fast path's savepoint left the transaction usable, the stage empty.
            assert await raw_events.insert_cost_events(conn, [row(uuid.uuid4(), JAN, 5)]) == 1
    finally:
        await pool.close()
    rows = await db.fetch(
        "SELECT event_id, occurred_at, cost_micros FROM cost_events WHERE tenant_id = $1",
        tenant_id,
    )
    kept = sorted((r["event_id"], r["occurred_at"], r["cost_micros"]) for r in rows)
    assert [k for k in kept if k[2] != 5] == sorted(
        [(first, NOV, 1), (second, DEC, 10), (third, JAN, 40)]
    )
    assert await db.fetchval(
        "SELECT count(*) FROM cost_event_keys WHERE tenant_id = $1", tenant_id
    ) == len(rows)
