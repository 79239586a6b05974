"""API read-path benchmark: wrk against uvicorn on 127.0.0.1, and the same SQL via asyncpg.

    eval "$(scripts/infra env)"
    .venv/bin/python bench/api/load_incidents.py --database guard_bench_api     # once
    flock /tmp/bench.lock .venv/bin/python bench/api/run_bench.py --duration 20 --workers 2

Scenarios (64 concurrent connections each; tenants drawn with the data's Zipf skew, by sampling
stored incidents):
  active   GET /api/v1/incidents/active?limit=50&severity=high
  detail   GET /api/v1/incidents/{incident_id}
  by_run   GET /api/v1/incidents/by-run/{run_id}
The ceiling issues the same statements the repository issues (``hot_statements()`` of
guard_api.drivers.incidents) straight through an asyncpg pool of 64 connections from 64 asyncio
tasks, in the same run. The API runs as deployed (``python -m guard_api``), its rate limiter on but
set high enough (1,000,000 reads/minute) never to refuse: its cost is counted, not its 429s.
Prints each figure beside its ceiling and the verdict against the targets of issue 12 (p99 under
50 ms, at least 60 % of the ceiling), with the load average before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import time
from dataclasses import dataclass

import asyncpg
import jwt

from guard_api.drivers.incidents import hot_statements
from guard_devtools import bench
from guard_devtools.infra_common import ephemeral_port
from guard_storage.db import to_async_url, to_asyncpg_dsn

SECRET = "bench-secret-0123456789abcdefghijklmnop"
CONNECTIONS = 64
STATEMENTS = hot_statements()
P99_TARGET_MS = 50.0
SHARE_TARGET = 0.60


async def analyze(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("VACUUM ANALYZE incidents")
    finally:
        await conn.close()


@dataclass(frozen=True)
class Target:
    tenant_id: str
    incident_id: str
    run_id: str


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def token(tenant: str) -> str:
    claims = {"sub": "bench", "aud": "console", "exp": int(time.time()) + 3600, "tenant_id": tenant}
    return jwt.encode(claims, SECRET, algorithm="HS256")


async def sample_targets(dsn: str, n: int) -> list[Target]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT tenant_id, incident_id::text, llm_run_id FROM incidents"
            " TABLESAMPLE BERNOULLI (2) REPEATABLE (42) LIMIT $1",
            n,
        )
    finally:
        await conn.close()
    return [Target(r["tenant_id"], r["incident_id"], r["llm_run_id"]) for r in rows]


def requests_for(name: str, targets: list[Target]) -> list[tuple[str, str]]:
    def path(t: Target) -> str:
        return {
            "active": "/api/v1/incidents/active?limit=50&severity=high",
            "detail": f"/api/v1/incidents/{t.incident_id}",
            "by_run": f"/api/v1/incidents/by-run/{t.run_id}",
        }[name]

    tokens: dict[str, str] = {}
    return [(path(t), tokens.setdefault(t.tenant_id, token(t.tenant_id))) for t in targets]


def run_wrk(base: str, name: str, targets: list[Target], duration: int) -> Result:
    out = bench.run_wrk(base, requests_for(name, targets), duration, CONNECTIONS)
    return Result(f"http {name}", out.rps, out.p50_ms, out.p99_ms, out.errors)


async def run_sql(dsn: str, name: str, targets: list[Target], duration: int) -> Result:
    pool = await asyncpg.create_pool(dsn, min_size=CONNECTIONS, max_size=CONNECTIONS)
    latencies: list[float] = []
    deadline = time.perf_counter() + duration

    sql, args = STATEMENTS[name]
    named = {"severity": "high", "limit": 50, "offset": 0}

    async def one(t: Target) -> None:
        values = {**named, "tenant_id": t.tenant_id, "incident_id": t.incident_id}
        values.update(run_id=t.run_id, limit=500 if name == "by_run" else 50)
        async with pool.acquire() as conn:
            await conn.fetch(sql, *args(values))

    async def worker(seed: int) -> None:
        rng = random.Random(seed)
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            await one(rng.choice(targets))
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(CONNECTIONS)))
    elapsed = time.perf_counter() - started
    await pool.close()
    q = statistics.quantiles(latencies, n=100)
    return Result(f"sql  {name}", len(latencies) / elapsed, q[49], q[98], 0)


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="guard_bench_api")
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL", "postgresql+asyncpg://guard@127.0.0.1:55432/guard")
    url = to_async_url(server).rpartition("/")[0] + f"/{args.database}"
    dsn = to_asyncpg_dsn(url)
    before = uptime()
    asyncio.run(analyze(dsn))
    targets = asyncio.run(sample_targets(dsn, 5_000))
    port = ephemeral_port()
    # The limiter is on but never refuses: its cost is counted, not its 429s.
    api = bench.start_api(
        url, port, args.workers, SECRET, {"GUARD_API_RATE_LIMIT_READS": "1000000/minute"}
    )
    results: list[Result] = []
    try:
        for name in ("active", "detail", "by_run"):
            run_wrk(f"http://127.0.0.1:{port}", name, targets, 3)  # warm-up
            results.append(run_wrk(f"http://127.0.0.1:{port}", name, targets, args.duration))
            results.append(asyncio.run(run_sql(dsn, name, targets, args.duration)))
    finally:
        api.terminate()
        api.wait(timeout=30)
    print(f"before: {before}")
    print(f"after:  {uptime()}")
    print(f"{len(targets)} sampled targets, {CONNECTIONS} connections, {args.duration}s each, "
          f"{args.workers} API worker(s) (python -m guard_api), {os.cpu_count()} CPUs")  # fmt: skip
    print(f"{'scenario':<14}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>9}")
    for r in results:
        print(f"{r.name:<14}{r.rps:>10.0f}{r.p50_ms:>10.2f}{r.p99_ms:>10.2f}{r.errors:>9}")
    for http, sql in zip(results[::2], results[1::2], strict=True):
        share = http.rps / sql.rps
        verdict = "MET" if http.p99_ms < P99_TARGET_MS and share >= SHARE_TARGET else "MISSED"
        print(
            f"{http.name[5:]}: {http.rps:,.0f} req/s = {share:.0%} of the raw-SQL ceiling "
            f"({sql.rps:,.0f}), p99 {http.p99_ms:.1f} ms -> target (p99 < {P99_TARGET_MS:.0f} ms, "
            f">= {SHARE_TARGET:.0%}) {verdict}"
        )


if __name__ == "__main__":
    main()
