"""Growth against the real Postgres: the parallel rebuild equals the incremental rollups, the
daily incident rollups follow bucket refreshes, and the hourly rollups are pruned per their
retention (the months of cost_events are ingest's: services/ingest/tests/integration/
test_ingest_partitions.py)."""

from __future__ import annotations

import asyncio
import os
import random
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from guard_analytics.adapters.maintenance_job import Retention, maintenance_cycle
from guard_analytics.adapters.rollup_job import catch_up, rebuild_cost_rollups
from guard_analytics.drivers.database import open_pool
from guard_analytics.drivers.rollups import (
    COST_JOB,
    refresh_incident_buckets,
    refresh_incident_rollups,
)

pytestmark = pytest.mark.integration
T0 = datetime(2026, 2, 10, 9, 0, tzinfo=UTC)
COLUMNS = [
    "tenant_id", "event_id", "occurred_at", "user_id", "feature_tag", "model",
    "input_tokens", "output_tokens", "cost_micros",
]  # fmt: skip
COST_TABLES = {
    "cost_rollups_hourly": "bucket, feature_tag, model, user_id, cost_micros, request_count",
    "cost_rollups_tenant_hourly": "bucket, cost_micros, request_count",
    "cost_rollups_dimension_daily": "day, dimension, value, cost_micros, request_count",
}
INCIDENT_TABLES = (
    "incident_rollups_daily",
    "incident_rollups_metric_daily",
    "incident_rollups_recurrence_daily",
    "incident_rollups_cost_daily",
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


def events(tenant: str, n: int, rng: random.Random) -> list[tuple[Any, ...]]:
    return [
        (
            tenant, uuid.uuid4(), T0 + timedelta(minutes=rng.randrange(0, 40 * 24 * 60)),
            rng.choice([None, "u1", "u2"]), rng.choice([None, "search", "chat"]),
            rng.choice(["claude-3-haiku", "gpt-4o"]), 10, 20, rng.randrange(1, 5_000_000),
        )
        for _ in range(n)
    ]  # fmt: skip


async def snapshot(db: asyncpg.Connection[Any], tenant: str) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    for table, columns in COST_TABLES.items():
        rows = await db.fetch(
            f"SELECT {columns} FROM {table} WHERE tenant_id = $1 ORDER BY {columns}", tenant
        )
        out[table] = [tuple(r) for r in rows]
    return out


async def test_the_parallel_rebuild_equals_the_incremental_rollups(
    pool: asyncpg.Pool[Any], db: asyncpg.Connection[Any], tenant_id: str
) -> None:
    rng = random.Random(11)
    await db.copy_records_to_table("cost_events", records=events(tenant_id, 600, rng),
                                   columns=COLUMNS)  # fmt: skip
    await catch_up(pool, clock)
    incremental = await snapshot(db, tenant_id)
    assert all(incremental.values())
    totals = sum(r[3] for r in incremental["cost_rollups_dimension_daily"] if r[1] == "tenant_id")
    raw = await db.fetchval(
        "SELECT sum(cost_micros) FROM cost_events WHERE tenant_id = $1", tenant_id
    )
    assert totals == raw
    last = await db.fetchval("SELECT max(seq) FROM cost_events")
    result = await rebuild_cost_rollups(pool, clock, parallel=3, shares=2)
    assert result.position >= last
    assert await snapshot(db, tenant_id) == incremental
    # The fill ran without keys or indexes; all of them are back (and every table logged).
    persistence = await db.fetch(
        "SELECT relname, relpersistence::text FROM pg_class WHERE relname = ANY($1::text[])",
        [*COST_TABLES, *(f"pk_{t}" for t in COST_TABLES), "ix_cost_rollups_dimension_daily_item"],
    )
    assert sorted(r["relpersistence"] for r in persistence) == ["p"] * (2 * len(COST_TABLES) + 1)
    position = await db.fetchval(
        "SELECT position FROM analytics_watermarks WHERE name = $1", COST_JOB
    )
    assert position == result.position
    # The incremental job goes on from the rebuild's position without counting anything twice.
    await db.copy_records_to_table("cost_events", records=events(tenant_id, 50, rng),
                                   columns=COLUMNS)  # fmt: skip
    assert await catch_up(pool, clock) >= 50
    after = await snapshot(db, tenant_id)
    raw = await db.fetchval(
        "SELECT sum(cost_micros) FROM cost_events WHERE tenant_id = $1", tenant_id
    )
    assert sum(r[1] for r in after["cost_rollups_tenant_hourly"]) == raw


async def _command(*args: str, database_url: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if k != "GUARD_ANALYTICS_DATABASE_URL"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "guard_analytics.rebuild", *args,
        env={**env, "DATABASE_URL": database_url},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_rebuild_command_repairs_damaged_rollups(
    pool: asyncpg.Pool[Any], db: asyncpg.Connection[Any], tenant_id: str, database_url: str
) -> None:
    await db.copy_records_to_table("cost_events", records=events(tenant_id, 300, random.Random(5)),
                                   columns=COLUMNS)  # fmt: skip
    await catch_up(pool, clock)
    rolled = await snapshot(db, tenant_id)
    await db.execute("DELETE FROM cost_rollups_hourly WHERE tenant_id = $1", tenant_id)
    await db.execute(
        "UPDATE cost_rollups_dimension_daily SET cost_micros = 0 WHERE tenant_id = $1", tenant_id
    )
    assert await snapshot(db, tenant_id) != rolled

    code, out, err = await _command("--parallel", "2", database_url=database_url)

    assert (code, err) == (0, "")
    assert out.startswith("rebuilt the cost rollups from ")
    assert await snapshot(db, tenant_id) == rolled


async def test_the_rebuild_command_names_a_bad_argument_and_an_unreachable_database(
    database_url: str,
) -> None:
    code, _, err = await _command("--parallel", "0", database_url=database_url)
    assert code == 2
    assert "--parallel: must be a whole number from 1 to 32, not '0'" in err
    unreachable = database_url.replace(database_url.split("@")[1].split("/")[0], "127.0.0.1:1")
    code, _, err = await _command(database_url=unreachable)
    assert code == 2
    assert err.startswith("ERROR: the database cannot be used:")


async def _incident(db: asyncpg.Connection[Any], tenant: str, created: datetime, **kw: Any) -> Any:
    row = {
        "incident_id": uuid.uuid4(), "tenant_id": tenant, "lifecycle_state": "ACTIVE",
        "severity": "high", "category": "RATE_LIMIT", "cause_type": "SYSTEM", "title": "t",
        "description": "d", "source_type": "killswitch", "fingerprint": "fp-1",
        "cost_impact_micros": 1_500_000, "created_at": created, "first_event_at": created,
        "last_event_at": created, "updated_at": created, **kw,
    }  # fmt: skip
    names = ", ".join(row)
    marks = ", ".join(f"${i}" for i in range(1, len(row) + 1))
    await db.execute(f"INSERT INTO incidents ({names}) VALUES ({marks})", *row.values())
    return row["incident_id"]


async def _daily(db: asyncpg.Connection[Any], tenant: str) -> list[list[tuple[Any, ...]]]:
    out = []
    for table in INCIDENT_TABLES:
        rows = await db.fetch(f"SELECT * FROM {table} WHERE tenant_id = $1 ORDER BY 1, 2, 3, 4",
                              tenant)  # fmt: skip
        out.append([tuple(r) for r in rows])
    return out


async def test_bucket_refreshes_keep_the_daily_incident_rollups_exact(
    db: asyncpg.Connection[Any], tenant_id: str
) -> None:
    ids = [await _incident(db, tenant_id, T0 + timedelta(minutes=7 * k)) for k in range(9)]
    await refresh_incident_rollups(db)
    trend, metric, recurrence, cost = await _daily(db, tenant_id)
    # tenant, day, category, severity, cause, created, cost, resolved, Σ resolution µs
    assert trend == [
        (tenant_id, T0.replace(hour=0), "RATE_LIMIT", "high", "SYSTEM", 9, 13_500_000, 0, 0)
    ]
    assert sum(r[4] for r in metric) == 9
    assert len(recurrence) == 1
    assert cost[0][4] == 9
    assert len(recurrence[0][7]) == 5  # the day's five newest
    resolved_at = T0 + timedelta(hours=3)
    await db.execute(
        "UPDATE incidents SET lifecycle_state = 'RESOLVED', resolved_at = $2, "
        "resolution_method = 'manual', acked_at = $2 WHERE incident_id = $1",
        ids[0],
        resolved_at,
    )
    changed = await refresh_incident_buckets(db, [(tenant_id, T0 + timedelta(hours=5))])
    assert changed > 0
    trend, metric, recurrence, cost = await _daily(db, tenant_id)
    assert trend[0][5:] == (9, 13_500_000, 1, 3 * 3600 * 1_000_000)
    resolved = [r for r in metric if r[3] == "RESOLVED"]
    assert resolved
    assert resolved[0][6] == [3 * 3600 * 1_000_000]  # resolution_us, exact
    assert recurrence[0][10] == ["manual"]
    assert recurrence[0][11] == [1]
    # A whole-table pass finds nothing left to change for this tenant.
    before = await _daily(db, tenant_id)
    await refresh_incident_rollups(db)
    assert await _daily(db, tenant_id) == before


async def test_maintenance_prunes_only_the_hourly_rollups_past_their_retention(
    db: asyncpg.Connection[Any], tenant_id: str
) -> None:
    old, kept = datetime(2014, 11, 3, 5, tzinfo=UTC), datetime(2014, 12, 20, 7, tzinfo=UTC)
    for bucket in (old, kept):
        await db.execute(
            "INSERT INTO cost_rollups_hourly (tenant_id, bucket, feature_tag, model, user_id, "
            "cost_micros, request_count) VALUES ($1, $2, '', 'gpt-4o', '', 5, 1)",
            tenant_id, bucket,
        )  # fmt: skip
        await db.execute(
            "INSERT INTO cost_rollups_tenant_hourly (tenant_id, bucket, cost_micros, "
            "request_count) VALUES ($1, $2, 5, 1)",
            tenant_id, bucket,
        )  # fmt: skip
    await db.execute(
        "INSERT INTO cost_rollups_dimension_daily (tenant_id, day, dimension, value, cost_micros, "
        "request_count) VALUES ($1, $2, 'tenant_id', '', 5, 1)",
        tenant_id, old.replace(hour=0),
    )  # fmt: skip
    now = datetime(2015, 1, 10, tzinfo=UTC)  # 32 days: hours before 2014-12-09 go
    result = await maintenance_cycle(db, lambda: now, Retention(hourly_rollups_days=32))
    assert result.ran
    assert result.hourly_rows_deleted == 2
    for table in ("cost_rollups_hourly", "cost_rollups_tenant_hourly"):
        buckets = await db.fetch(f"SELECT bucket FROM {table} WHERE tenant_id = $1", tenant_id)
        assert [r[0] for r in buckets] == [kept]
    # The daily rollups stay: the answers of long windows read them.
    assert (
        await db.fetchval(
            "SELECT count(*) FROM cost_rollups_dimension_daily WHERE tenant_id = $1", tenant_id
        )
        == 1
    )
    # Nothing to prune without a retention setting.
    assert (await maintenance_cycle(db, lambda: now, Retention())).hourly_rows_deleted == 0
