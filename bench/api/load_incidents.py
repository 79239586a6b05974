"""Load the API benchmark database: 1,000,000 incidents over 1,000 tenants (Zipf, s = 1.0).

    .venv/bin/python bench/api/load_incidents.py --database guard_bench_api

Creates (or recreates) a separate database on the server of ``DATABASE_URL``, migrates it with
the project's own migrations (``guard_storage.migrate``), and bulk-loads the ``incidents`` table
with COPY, using the column list of the project's model (``guard_storage.models.ingest``).
Deterministic (fixed seed), so every run loads the same rows.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import itertools
import os
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from guard_storage.db import to_async_url, to_asyncpg_dsn
from guard_storage.migrate import upgrade
from guard_storage.models.ingest import Incident

TENANTS = 1_000
NOW = datetime(2026, 11, 1, tzinfo=UTC)
STATES = (("ACTIVE", 0.05), ("ACKED", 0.03), ("RESOLVED", 0.92))
SEVERITIES = (("low", 0.4), ("medium", 0.3), ("high", 0.2), ("critical", 0.1))
TRIGGERS = (
    ("budget_breach", "BUDGET_EXCEEDED"),
    ("failure_spike", "EXECUTION_FAILURE"),
    ("rate_limit", "RATE_LIMIT"),
    ("content_policy", "CONTENT_POLICY"),
    ("policy_violation", "POLICY_VIOLATION"),
    ("freeze", "FREEZE"),
)
COLUMNS = [
    c.name
    for c in Incident.__table__.columns
    if c.name not in {"contained_at", "timeline_length", "timeline_head"}
]


def tenant_name(rank: int) -> str:
    return f"bench-{rank:04d}"


def zipf_cdf(n: int, s: float = 1.0) -> list[float]:
    weights = [1 / (k**s) for k in range(1, n + 1)]
    total = sum(weights)
    return list(itertools.accumulate(w / total for w in weights))


def pick(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    x, acc = rng.random(), 0.0
    for value, p in table:
        acc += p
        if x < acc:
            return value
    return table[-1][0]


def rows(count: int, seed: int = 7):
    rng = random.Random(seed)
    cdf = zipf_cdf(TENANTS)
    for n in range(count):
        tenant = tenant_name(bisect.bisect_left(cdf, rng.random()))
        state = pick(rng, STATES)
        trigger, category = TRIGGERS[rng.randrange(len(TRIGGERS))]
        created = NOW - timedelta(seconds=rng.randrange(180 * 86400))
        last = created + timedelta(seconds=rng.randrange(600))
        resolved = last + timedelta(seconds=900) if state == "RESOLVED" else None
        agent, policy = f"agent-{rng.randrange(50)}", f"policy-{rng.randrange(20)}"
        values = {
            "incident_id": uuid.UUID(int=rng.getrandbits(128), version=4),
            "tenant_id": tenant,
            "lifecycle_state": state,
            "severity": pick(rng, SEVERITIES),
            "category": category,
            "cause_type": "LLM_RUN",
            "title": f"{category} on {agent}",
            "description": f"{trigger} stopped a run of {agent}",
            "source_type": "killswitch",
            "fingerprint": f"{trigger}|{policy}|{agent}",
            "llm_run_id": f"run-{n // 3}",
            "affected_agent_id": agent,
            "policy_id": policy,
            "trigger_type": trigger,
            "calls_affected": rng.randrange(1, 300),
            "event_count": rng.randrange(1, 20),
            "cost_impact_micros": rng.randrange(0, 50_000_000),
            "error_code": None,
            "error_message": None,
            "created_at": created,
            "first_event_at": created,
            "last_event_at": last,
            "acked_at": last if state == "ACKED" else None,
            "acked_by": "operator" if state == "ACKED" else None,
            "resolved_at": resolved,
            "resolved_by": "system_auto_resolve" if resolved else None,
            "resolution_method": "auto" if resolved else None,
            "recurrence_of": None,
            "is_synthetic": rng.random() < 0.02,
            "updated_at": resolved or last,
        }
        yield tuple(values[c] for c in COLUMNS)


async def load(server_url: str, database: str, count: int) -> str:
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
        started = time.perf_counter()
        batch: list[tuple] = []
        for row in rows(count):
            batch.append(row)
            if len(batch) == 100_000:
                await conn.copy_records_to_table("incidents", records=batch, columns=COLUMNS)
                batch.clear()
        if batch:
            await conn.copy_records_to_table("incidents", records=batch, columns=COLUMNS)
        await conn.execute("VACUUM ANALYZE incidents")
        print(f"loaded {count:,} incidents in {time.perf_counter() - started:.1f}s into {url}")
    finally:
        await conn.close()
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="guard_bench_api")
    parser.add_argument("--count", type=int, default=1_000_000)
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL", "postgresql+asyncpg://guard@127.0.0.1:55432/guard")
    asyncio.run(load(server, args.database, args.count))


if __name__ == "__main__":
    main()
