"""The months of ``cost_events``, kept by ingest, their writer
(docs/operations-scaling.md#growth-partitions-and-retention): rows that fell into the default
partition move into their month when it is created, months are kept created ahead, and a month
past the retention is dropped with its idempotency keys only once the cost rollups hold every
row of it. Real PostgreSQL.

These tests have a database of their own: retention drops whole months for every tenant, and
they set the cost rollups' watermark, which the rest of the session's rollups depend on.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from guard_contracts.topics import Topics
from guard_devtools.services import eventually, run_ingest
from guard_ingest.adapters.partitions_job import PartitionPolicy, maintain_partitions
from guard_storage.db import to_asyncpg_dsn
from guard_storage.partitions import COST_ROLLUP_WATERMARK, drop_partitions, ensure_partitions

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]
COLUMNS = [
    "tenant_id", "event_id", "occurred_at", "user_id", "feature_tag", "model",
    "input_tokens", "output_tokens", "cost_micros",
]  # fmt: skip


@pytest_asyncio.fixture(loop_scope="session")
async def conn(module_database_url: str) -> AsyncIterator[asyncpg.Connection[Any]]:
    connection = await asyncpg.connect(to_asyncpg_dsn(module_database_url))
    try:
        yield connection
    finally:
        await connection.close()


async def _event(db: asyncpg.Connection[Any], tenant: str, when: datetime) -> tuple[uuid.UUID, int]:
    """Store one cost event and its key as ingest does; returns its id and seq."""
    event_id = uuid.uuid4()
    row = (tenant, event_id, when, None, None, "gpt-4o", 1, 2, 42)
    await db.copy_records_to_table("cost_events", records=[row], columns=COLUMNS)
    await db.execute(
        "INSERT INTO cost_event_keys (tenant_id, event_id, occurred_at) VALUES ($1, $2, $3)",
        tenant, event_id, when,
    )  # fmt: skip
    seq = await db.fetchval("SELECT seq FROM cost_events WHERE event_id = $1", event_id)
    return event_id, int(seq)


async def _part(db: asyncpg.Connection[Any], event_id: uuid.UUID) -> str | None:
    value = await db.fetchval(
        "SELECT tableoid::regclass::text FROM cost_events WHERE event_id = $1", event_id
    )
    return None if value is None else str(value)


async def _rolled_up_to(db: asyncpg.Connection[Any], position: int) -> None:
    await db.execute(
        """INSERT INTO analytics_watermarks (name, position, advanced_at) VALUES ($1, $2, now())
           ON CONFLICT (name) DO UPDATE SET position = excluded.position""",
        COST_ROLLUP_WATERMARK, position,
    )  # fmt: skip


async def test_late_rows_move_into_their_month_and_a_replay_stays_one_row(
    conn: asyncpg.Connection[Any],
) -> None:
    tenant, old = "t-late", datetime(2019, 1, 15, tzinfo=UTC)
    event_id, seq = await _event(conn, tenant, old)
    assert await _part(conn, event_id) == "cost_events_default"
    assert await ensure_partitions(conn, old, old + timedelta(days=1)) == 1
    assert await _part(conn, event_id) == "cost_events_p201901"
    assert await conn.fetchval("SELECT seq FROM cost_events WHERE event_id = $1", event_id) == seq
    # A replay (same id, same instant) is still a conflict, not a second row.
    await conn.execute(
        "INSERT INTO cost_events (tenant_id, event_id, occurred_at, model, input_tokens, "
        "output_tokens, cost_micros) VALUES ($1, $2, $3, 'gpt-4o', 1, 2, 42) ON CONFLICT DO NOTHING",
        tenant, event_id, old,
    )  # fmt: skip
    assert (
        await conn.fetchval("SELECT count(*) FROM cost_events WHERE event_id = $1", event_id) == 1
    )
    await drop_partitions(conn, datetime(2019, 2, 1, tzinfo=UTC), seq)  # leave no trace


async def test_months_are_kept_created_ahead(conn: asyncpg.Connection[Any]) -> None:
    now = datetime(2031, 5, 20, tzinfo=UTC)
    result = await maintain_partitions(conn, now, PartitionPolicy(ahead_days=62))
    assert result.ran
    assert result.created == 3  # 2031-05 (from the day before) through 2031-07 (July 21)
    names = [f"cost_events_p{m}" for m in ("203105", "203106", "203107")]
    for name in names:
        assert await conn.fetchval("SELECT to_regclass($1)::text", name) == name
    again = await maintain_partitions(conn, now, PartitionPolicy(ahead_days=62))
    assert again.created == 0


async def test_retention_drops_a_month_with_its_keys_only_once_rolled_up(
    conn: asyncpg.Connection[Any],
) -> None:
    tenant = "t-retention"
    june, stray, kept = (datetime(2016, 6, 10, tzinfo=UTC), datetime(2015, 3, 1, tzinfo=UTC),
                         datetime(2016, 12, 20, tzinfo=UTC))  # fmt: skip
    await ensure_partitions(conn, june, june + timedelta(days=1))
    in_june, june_seq = await _event(conn, tenant, june)
    in_default, stray_seq = await _event(conn, tenant, stray)  # no month covers 2015-03
    recent, _ = await _event(conn, tenant, kept)
    keys = "SELECT event_id FROM cost_event_keys WHERE tenant_id = $1"
    policy = PartitionPolicy(ahead_days=31, retention_days=31)
    now = datetime(2017, 1, 10, tzinfo=UTC)  # the cutoff is 2016-12-10

    # Not rolled up yet: the rollups still need these rows, so nothing goes.
    await _rolled_up_to(conn, min(june_seq, stray_seq) - 1)
    result = await maintain_partitions(conn, now, policy)
    assert (result.ran, result.dropped) == (True, 0)
    assert {r[0] for r in await conn.fetch(keys, tenant)} == {in_june, in_default, recent}

    await _rolled_up_to(conn, max(june_seq, stray_seq))
    result = await maintain_partitions(conn, now, policy)
    assert result.dropped == 1
    assert await conn.fetchval("SELECT to_regclass('cost_events_p201606')") is None
    assert await _part(conn, in_default) is None  # the old row of the default partition too
    assert await _part(conn, recent) is not None
    assert {r[0] for r in await conn.fetch(keys, tenant)} == {recent}


async def test_one_replica_at_a_time(
    conn: asyncpg.Connection[Any], module_database_url: str
) -> None:
    other = await asyncpg.connect(to_asyncpg_dsn(module_database_url))
    try:
        async with other.transaction():
            assert await other.fetchval(
                "SELECT pg_try_advisory_xact_lock(hashtext('guard_ingest.partitions'))"
            )
            result = await maintain_partitions(conn, datetime.now(UTC), PartitionPolicy())
            assert result.ran is False
    finally:
        await other.close()


async def test_the_running_service_keeps_months_ahead_from_its_start(
    conn: asyncpg.Connection[Any], module_database_url: str, kafka_bootstrap: str, topics: Topics
) -> None:
    async with run_ingest(kafka_bootstrap, module_database_url, topics) as running:
        ahead = datetime.now(UTC) + timedelta(days=93)
        name = f"cost_events_p{ahead:%Y%m}"
        # The job's first run is at start-up, not an interval later.
        assert await eventually(
            lambda: conn.fetchval("SELECT to_regclass($1)::text", name), lambda v: v == name
        )
        # And a run that creates months reports them (and logs them) without failing.
        result = await running.service.maintain_partitions_once(datetime(2033, 3, 5, tzinfo=UTC))
        assert result.ran
        assert result.created == 4  # 2033-03 (from the day before) through 2033-06
