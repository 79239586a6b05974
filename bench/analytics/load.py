"""Load the analytics benchmark database: cost events and incidents over 90 days, 1,000 tenants.

    .venv/bin/python bench/analytics/load.py --events 10000000 --incidents 200000 [--days 90]

Creates (or recreates) a dedicated database on the server of ``DATABASE_URL`` (default
``guard_bench_analytics``), migrates it with the project's migrations and bulk-loads
``cost_events`` and ``incidents`` with COPY (binary, through asyncpg). The secondary indexes of
``cost_events`` are dropped during the load and rebuilt after it (the usual bulk-load order).
Deterministic (fixed seed). Tenants are Zipf-distributed (s = 1), so a few are large.

The cost events are generated inside PostgreSQL (``INSERT … SELECT`` over ``generate_series``,
every column a hash of the row number and the seed), about 5x faster than sending rows from
Python, so the 10M and 30M databases of the growth benchmark load in minutes. The tenant rank
is ``floor(1001^u)`` for a uniform ``u``: the continuous form of Zipf with s = 1 over 1,000 ranks.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import os
import random
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from guard_storage.db import to_async_url, to_asyncpg_dsn
from guard_storage.migrate import upgrade
from guard_storage.partitions import ensure_partitions

TENANTS = 1_000
NOW = datetime(2026, 11, 1, tzinfo=UTC)
INCIDENT_SPAN_S = 90 * 86400
SPAN_S = 90 * 86400  # --days changes it: 3x the events over 3x the days = the same table, older
FEATURES = [None, "search", "chat", "summarise", "classify", "extract"]
MODELS = ["claude-3-haiku", "claude-sonnet-4", "gpt-4o", "gpt-4o-mini"]
USERS = [None] + [f"user-{i}" for i in range(12)]
CATEGORIES = ["BUDGET_EXCEEDED", "EXECUTION_FAILURE", "RATE_LIMIT", "CONTENT_POLICY", "FREEZE"]
SEVERITIES = ["low", "medium", "high", "critical"]
SECONDARY = {
    "ix_cost_events_tenant_occurred": "CREATE INDEX ix_cost_events_tenant_occurred "
    "ON cost_events (tenant_id, occurred_at)",
    "ix_cost_events_tenant_run": "CREATE INDEX ix_cost_events_tenant_run ON cost_events "
    "(tenant_id, run_id) WHERE run_id IS NOT NULL",
}


def tenant_name(rank: int) -> str:
    return f"bench-{rank:04d}"


def zipf_cdf(n: int) -> list[float]:
    weights = [1 / k for k in range(1, n + 1)]
    total, acc, out = sum(weights), 0.0, []
    for w in weights:
        acc += w
        out.append(acc / total)
    return out


# One statement per chunk of row numbers [$1, $2); $3 is the start of the span, $4 its seconds.
# ``u(k)`` is a uniform number in [0, 1) drawn from row g's hash with salt k (the seed is 11).
_U = "((hashint8(g * 16 + {k} + 11 * 1000003) & 2147483647)::float8 / 2147483648.0)"
_EVENTS_SQL = f"""
INSERT INTO cost_events (tenant_id, event_id, occurred_at, user_id, feature_tag, model,
                         input_tokens, output_tokens, cost_micros)
SELECT 'bench-' || lpad(least(floor(power(1001.0, {_U.format(k=1)})), {TENANTS})::int::text, 4, '0'),
       md5('event-11-' || g)::uuid,
       $3::timestamptz + make_interval(secs => {_U.format(k=2)} * $4),
       (ARRAY[{", ".join("NULL" if u is None else repr(u) for u in USERS)}]::text[])
         [1 + floor({_U.format(k=3)} * {len(USERS)})::int],
       (ARRAY[{", ".join("NULL" if f is None else repr(f) for f in FEATURES)}]::text[])
         [1 + floor({_U.format(k=4)} * {len(FEATURES)})::int],
       (ARRAY[{", ".join(repr(m) for m in MODELS)}])[1 + floor({_U.format(k=5)} * {len(MODELS)})::int],
       floor({_U.format(k=6)} * 4000)::bigint, floor({_U.format(k=7)} * 1500)::bigint,
       1 + floor({_U.format(k=8)} * 49999)::bigint
FROM generate_series($1::bigint, $2::bigint - 1) AS g
"""


async def insert_events(conn: asyncpg.Connection[Any], count: int) -> int:
    start = NOW - timedelta(seconds=SPAN_S)
    chunk = 1_000_000
    for low in range(0, count, chunk):
        await conn.execute(_EVENTS_SQL, low, min(low + chunk, count), start, float(SPAN_S))
    return count


def incident_rows(count: int, seed: int) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(seed)
    cdf = zipf_cdf(TENANTS)
    start = NOW - timedelta(seconds=INCIDENT_SPAN_S)
    for _ in range(count):
        rank = min(bisect.bisect_left(cdf, rng.random()), TENANTS - 1) + 1
        created = start + timedelta(seconds=rng.random() * INCIDENT_SPAN_S)
        state = rng.choices(["ACTIVE", "ACKED", "RESOLVED"], [5, 3, 92])[0]
        acked = created + timedelta(seconds=rng.randrange(1, 7200)) if state != "ACTIVE" else None
        resolved = (
            created + timedelta(seconds=rng.randrange(60, 200000)) if state == "RESOLVED" else None
        )
        category = CATEGORIES[rng.randrange(len(CATEGORIES))]
        fp = f"{category}|policy-{rng.randrange(20)}|agent-{rng.randrange(10)}"
        yield (
            uuid.UUID(int=rng.getrandbits(128), version=4), tenant_name(rank), state,
            SEVERITIES[rng.randrange(4)], category, rng.choice(["SYSTEM", "LLM_RUN", "HUMAN"]),
            "bench incident", "bench", "killswitch", fp,
            f"run-{rng.randrange(5000)}" if rng.random() < 0.5 else None,
            rng.randrange(0, 5_000_000), created, created, created, acked, resolved,
            rng.choice(["manual", "auto", "released"]) if resolved else None,
            created + timedelta(seconds=rng.randrange(1, 600)) if rng.random() < 0.3 else None,
            created,
        )  # fmt: skip


INCIDENT_COLUMNS = [
    "incident_id", "tenant_id", "lifecycle_state", "severity", "category", "cause_type",
    "title", "description", "source_type", "fingerprint", "llm_run_id", "cost_impact_micros",
    "created_at", "first_event_at", "last_event_at", "acked_at", "resolved_at",
    "resolution_method", "contained_at", "updated_at",
]  # fmt: skip


async def copy_chunks(
    conn: asyncpg.Connection[Any], table: str, columns: list[str], rows: Iterator[tuple[Any, ...]]
) -> int:
    total = 0
    while True:
        chunk = [row for _, row in zip(range(200_000), rows, strict=False)]
        if not chunk:
            return total
        await conn.copy_records_to_table(table, records=chunk, columns=columns)
        total += len(chunk)


async def load(server_url: str, database: str, events: int, incidents: int) -> None:
    admin = await asyncpg.connect(to_asyncpg_dsn(server_url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{database}"')
    finally:
        await admin.close()
    url = to_async_url(server_url).rpartition("/")[0] + f"/{database}"
    await asyncio.to_thread(upgrade, url)
    conn = await asyncpg.connect(to_asyncpg_dsn(url))
    try:
        await ensure_partitions(conn, NOW - timedelta(seconds=SPAN_S), NOW + timedelta(days=62))
        for name in SECONDARY:
            await conn.execute(f"DROP INDEX {name}")
        started = time.perf_counter()
        n = await insert_events(conn, events)
        print(f"cost_events: {n:,} rows generated in {time.perf_counter() - started:.1f}s")
        started = time.perf_counter()
        for sql in SECONDARY.values():
            await conn.execute(sql)
        print(f"cost_events secondary indexes in {time.perf_counter() - started:.1f}s")
        started = time.perf_counter()
        n = await copy_chunks(conn, "incidents", INCIDENT_COLUMNS, incident_rows(incidents, 13))
        print(f"incidents: {n:,} rows COPY in {time.perf_counter() - started:.1f}s")
        await conn.execute("VACUUM ANALYZE cost_events")
        await conn.execute("VACUUM ANALYZE incidents")
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="guard_bench_analytics")
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--incidents", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=90, help="span of the cost events")
    args = parser.parse_args()
    global SPAN_S
    SPAN_S = args.days * 86400
    server = os.environ.get("DATABASE_URL", "postgresql+asyncpg://guard@127.0.0.1:55432/guard")
    asyncio.run(load(server, args.database, args.events, args.incidents))


if __name__ == "__main__":
    main()
