"""The incremental cost rollup against the real Postgres: exact, late-event-safe, replica-safe.

Cost events are inserted with plain SQL (the table ingest writes); the rollups must equal a
GROUP BY over the raw rows of the tenant, whatever the interleaving of commits and cycles.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from guard_analytics.adapters.rollup_job import catch_up, cost_cycle
from guard_analytics.drivers.database import open_pool
from guard_analytics.drivers.rollups import COST_JOB

pytestmark = pytest.mark.integration
T0 = datetime(2026, 2, 10, 9, 0, tzinfo=UTC)
INSERT = (
    "INSERT INTO cost_events (tenant_id, event_id, occurred_at, user_id, feature_tag, model, "
    "input_tokens, output_tokens, cost_micros) VALUES ($1, $2, $3, $4, $5, $6, 1, 2, $7)"
)


def clock() -> datetime:
    return datetime.now(UTC)


@pytest_asyncio.fixture(loop_scope="session")
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool[Any]]:
    created = await open_pool(database_url, 6)
    try:
        yield created
    finally:
        await created.close()


def rows_for(tenant: str, n: int, rng: random.Random) -> list[tuple[Any, ...]]:
    return [
        (
            tenant,
            uuid.uuid4(),
            T0 + timedelta(minutes=rng.randrange(0, 3 * 24 * 60)),
            rng.choice([None, "u1", "u2"]),
            rng.choice([None, "search", "chat"]),
            rng.choice(["claude-3-haiku", "gpt-4o"]),
            rng.randrange(0, 5_000_000),
        )
        for _ in range(n)
    ]


async def raw_vs_rollup(db: asyncpg.Connection[Any], tenant: str) -> tuple[Any, Any, Any, Any]:
    """(raw hourly, rolled hourly, raw daily, rolled daily) as sorted lists of tuples; the daily
    ones per dimension value (the tenant's total under ``tenant_id``)."""
    keys = "coalesce(feature_tag, ''), model, coalesce(user_id, '')"
    raw_h = await db.fetch(
        f"SELECT date_trunc('hour', occurred_at, 'UTC') AS b, {keys}, sum(cost_micros)::bigint, "
        "count(*) FROM cost_events WHERE tenant_id = $1 GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
        tenant,
    )
    rolled_h = await db.fetch(
        "SELECT bucket, feature_tag, model, user_id, cost_micros, request_count "
        "FROM cost_rollups_hourly WHERE tenant_id = $1 ORDER BY 1, 2, 3, 4",
        tenant,
    )
    raw_d = await db.fetch(
        "SELECT d, dimension, value, sum(cost)::bigint, count(*) FROM ("
        "  SELECT date_trunc('day', occurred_at, 'UTC') AS d, cost_micros AS cost,"
        "         unnest(ARRAY['tenant_id', 'feature_tag', 'model', 'user_id']) AS dimension,"
        "         unnest(ARRAY['', coalesce(feature_tag, ''), model, coalesce(user_id, '')]) AS value"
        "  FROM cost_events WHERE tenant_id = $1) AS e "
        "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
        tenant,
    )
    rolled_d = await db.fetch(
        "SELECT day, dimension, value, cost_micros, request_count "
        "FROM cost_rollups_dimension_daily WHERE tenant_id = $1 ORDER BY 1, 2, 3",
        tenant,
    )
    return (
        [tuple(r) for r in raw_h],
        [tuple(r) for r in rolled_h],
        [tuple(r) for r in raw_d],
        [tuple(r) for r in rolled_d],
    )


async def test_a_late_event_corrects_its_old_bucket(
    pool: asyncpg.Pool[Any], db: asyncpg.Connection[Any], tenant_id: str
) -> None:
    rng = random.Random(7)
    await db.executemany(INSERT, rows_for(tenant_id, 200, rng))
    await catch_up(pool, clock)
    old_hour = await db.fetchval(
        "SELECT cost_micros FROM cost_rollups_hourly WHERE tenant_id = $1 ORDER BY bucket LIMIT 1",
        tenant_id,
    )
    first = await db.fetchval(
        "SELECT min(bucket) FROM cost_rollups_hourly WHERE tenant_id = $1", tenant_id
    )
    late = (tenant_id, uuid.uuid4(), first + timedelta(minutes=1), None, None, "gpt-4o", 123)
    await db.execute(INSERT, *late)
    await catch_up(pool, clock)
    raw_h, rolled_h, raw_d, rolled_d = await raw_vs_rollup(db, tenant_id)
    assert rolled_h == raw_h
    assert rolled_d == raw_d
    assert (
        await db.fetchval(
            "SELECT sum(cost_micros) FROM cost_rollups_hourly WHERE tenant_id = $1 AND bucket = $2",
            tenant_id,
            first,
        )
        >= old_hour + 123
    )


async def test_a_range_read_in_small_chunks_adds_up_exactly(
    pool: asyncpg.Pool[Any], db: asyncpg.Connection[Any], tenant_id: str
) -> None:
    await db.executemany(INSERT, rows_for(tenant_id, 300, random.Random(3)))
    await catch_up(pool, clock, chunk=1_000)  # everyone else's events first, in big steps
    await db.executemany(INSERT, rows_for(tenant_id, 300, random.Random(4)))
    before = await db.fetchval(
        "SELECT position FROM analytics_watermarks WHERE name = 'cost_rollup'"
    )
    assert await catch_up(pool, clock, chunk=37) == 300
    after = await db.fetchval(
        "SELECT position FROM analytics_watermarks WHERE name = 'cost_rollup'"
    )
    raw_h, rolled_h, raw_d, rolled_d = await raw_vs_rollup(db, tenant_id)
    assert after - before >= 300
    assert rolled_h == raw_h
    assert rolled_d == raw_d


async def _writer(pool: asyncpg.Pool[Any], rows: list[tuple[Any, ...]], slow: bool) -> None:
    """Insert in small transactions; a slow writer holds its seqs uncommitted for a while."""
    async with pool.acquire() as conn:
        for i in range(0, len(rows), 25):
            async with conn.transaction():
                await conn.executemany(INSERT, rows[i : i + 25])
                await asyncio.sleep(0.3 if slow else 0.005)


async def _replica(pool: asyncpg.Pool[Any], stop: asyncio.Event) -> int:
    ran = 0
    async with pool.acquire() as conn:
        while not stop.is_set():
            ran += int((await cost_cycle(conn, clock)).ran)
            await asyncio.sleep(0.01)
    return ran


async def test_replicas_and_in_flight_transactions_never_lose_or_double_count(
    pool: asyncpg.Pool[Any], db: asyncpg.Connection[Any], tenant_id: str
) -> None:
    rng = random.Random(11)
    stop = asyncio.Event()
    replicas = [asyncio.create_task(_replica(pool, stop)) for _ in range(2)]
    await asyncio.gather(
        _writer(pool, rows_for(tenant_id, 400, rng), slow=False),
        _writer(pool, rows_for(tenant_id, 100, rng), slow=True),
    )
    stop.set()
    ran = await asyncio.gather(*replicas)
    await catch_up(pool, clock)
    raw_h, rolled_h, raw_d, rolled_d = await raw_vs_rollup(db, tenant_id)
    assert sum(ran) > 10  # the cycles really interleaved with the writers
    assert sum(r[5] for r in rolled_h) == 500
    assert rolled_h == raw_h
    assert rolled_d == raw_d


async def test_only_the_xid_step_and_a_backlog_come_back_quickly(
    pool: asyncpg.Pool[Any], db: asyncpg.Connection[Any], tenant_id: str
) -> None:
    """A cycle that applied a range (or part of a backlog) asks for the next one after
    FOLLOW_UP_S, since that one only takes an xid; the xid step waits the whole interval."""
    await catch_up(pool, clock)
    await db.executemany(INSERT, rows_for(tenant_id, 10, random.Random(5)))
    top = await db.fetchval("SELECT max(seq) FROM cost_events")
    state = "SELECT pending_position, pending_xmax FROM analytics_watermarks WHERE name = $1"
    seen: list[tuple[str, int, bool]] = []
    async with pool.acquire() as conn:
        for _ in range(200):
            pending, xmax = await db.fetchrow(state, COST_JOB)
            stage = "record" if pending is None else "xid" if xmax is None else "read"
            result = await cost_cycle(conn, clock, chunk=3)
            seen.append((stage, result.events, result.follow_up))
            if result.position >= top:
                break
            await asyncio.sleep(0.02)
    assert seen[-1][0] == "read"
    assert sum(events for _, events, _ in seen) >= 10
    for stage, events, follow_up in seen:
        if stage == "xid":
            assert not follow_up
        if events:
            assert follow_up
    assert any(stage == "xid" for stage, _, _ in seen)
