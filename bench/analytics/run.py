"""Analytics benchmark on the database loaded by ``load.py`` (127.0.0.1 only).

    .venv/bin/python bench/analytics/run.py [--database guard_bench_analytics] [--skip-build]
        [--growth guard_bench_analytics_3x]

1. Rollups from scratch: empty the rollup tables and watermarks, then time the parallel
   set-based rebuild (``rebuild_cost_rollups``; ``--incremental`` also times the incremental
   ``catch_up`` path, the previous way) and one whole incident refresh. Target: 10M events in
   60 s, scaled to the events present.
2. Incremental lag: a writer commits cost events at ``--rate`` events/s (COPY batches every
   100 ms) while the service's cost loop runs; lag = time from a batch's commit until the
   watermark covers it.
3. Endpoint latency: uvicorn running ``guard_api`` against the database (``--workers``, 2 by
   default like the gateway benchmark: one per core), wrk with 16 connections per endpoint
   (random tenants, fixed ``now``), windows of 7, 90 and 365 days, trends per day and per week
   (the console's default).
   Target: p99 < 50 ms for every endpoint. With ``--growth DB``, the same endpoints against a
   second database holding 3x the cost events; target: every p99 within 20 % of the first.
Every figure is printed beside its target with a verdict; the load average is printed at the
start and the end (the machine is shared).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import jwt

from guard_analytics.adapters.rollup_job import (
    FOLLOW_UP_S,
    catch_up,
    cost_cycle,
    incident_cycle,
    rebuild_cost_rollups,
)
from guard_devtools import bench
from guard_devtools.infra_common import ephemeral_port
from guard_storage.db import to_async_url, to_asyncpg_dsn

SECRET = "bench-analytics-secret-0123456789abcdef"
ROLLUPS = (
    "cost_rollups_hourly, cost_rollups_tenant_hourly, "
    "cost_rollups_dimension_daily, incident_rollups_daily, incident_rollups_metric_daily, "
    "incident_rollups_recurrence_daily, incident_rollups_cost_daily, analytics_watermarks"
)
P99_TARGET_MS = 50.0
REBUILD_TARGET_S_PER_10M = 60.0
CONNECTIONS = 16
NOW = datetime(2026, 11, 1, tzinfo=UTC)
NOW_Q = "now=2026-11-01T00:00:00%2B00:00"


def clock() -> datetime:
    return datetime.now(UTC)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def load_average() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


async def build(dsn: str, parallel: int, incremental: bool) -> None:
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=parallel + 1)
    assert pool is not None
    async with pool.acquire() as conn:
        events = await conn.fetchval("SELECT count(*) FROM cost_events")
    target = REBUILD_TARGET_S_PER_10M * events / 10_000_000
    if incremental:
        async with pool.acquire() as conn:
            await conn.execute(f"TRUNCATE {ROLLUPS}")
        started = time.perf_counter()
        await catch_up(pool, clock)
        print(f"incremental catch_up (previous way): {events:,} events in "
              f"{time.perf_counter() - started:.1f}s (target {target:.1f}s) "
              f"{verdict(time.perf_counter() - started <= target)}")  # fmt: skip
    async with pool.acquire() as conn:
        await conn.execute(f"TRUNCATE {ROLLUPS}")
    result = await rebuild_cost_rollups(pool, clock, parallel=parallel)
    started = time.perf_counter()
    async with pool.acquire() as conn:
        await incident_cycle(conn, clock)
        incident_s = time.perf_counter() - started
        counts = {
            t: await conn.fetchval(f"SELECT count(*) FROM {t}")
            for t in ("cost_rollups_hourly", "cost_rollups_tenant_hourly",
                      "cost_rollups_dimension_daily", "incident_rollups_daily",
                      "incident_rollups_metric_daily", "incident_rollups_recurrence_daily",
                      "incident_rollups_cost_daily")
        }  # fmt: skip
    await pool.close()
    print(f"rebuild ({parallel} connections): {result.events:,} cost events in "
          f"{result.seconds:.1f}s (aggregate {result.aggregate_seconds:.1f}s, keys "
          f"{result.keys_seconds:.1f}s; target {target:.1f}s = 60 s per 10M) "
          f"{verdict(result.seconds <= target)}; incident rollups in {incident_s:.1f}s")  # fmt: skip
    print("rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))


async def lag(dsn: str, rate: int, seconds: int, interval: float) -> None:
    pool = await asyncpg.create_pool(dsn, min_size=2, max_size=3)
    assert pool is not None
    commits: list[tuple[int, float]] = []  # (max seq of the batch, commit time)
    covered: dict[int, float] = {}
    stop = time.perf_counter() + seconds
    rng = random.Random(5)
    per_batch = rate // 10

    async def writer() -> None:
        async with pool.acquire() as conn:
            next_at = time.perf_counter()
            while time.perf_counter() < stop:
                now = datetime.now(UTC)
                rows = [
                    (f"bench-{rng.randrange(1, 1001):04d}", uuid.uuid4(),
                     now - timedelta(seconds=rng.random() * 60), "user-1", "chat",
                     "gpt-4o", 100, 50, rng.randrange(1, 50_000))
                    for _ in range(per_batch)
                ]  # fmt: skip
                async with conn.transaction():
                    await conn.copy_records_to_table(
                        "cost_events", records=rows,
                        columns=["tenant_id", "event_id", "occurred_at", "user_id",
                                 "feature_tag", "model", "input_tokens", "output_tokens",
                                 "cost_micros"],
                    )  # fmt: skip
                    top = await conn.fetchval("SELECT max(seq) FROM cost_events")
                commits.append((top, time.perf_counter()))
                next_at += 0.1
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))

    async def roller() -> None:
        async with pool.acquire() as conn:
            while time.perf_counter() < stop + 10:
                result = await cost_cycle(conn, clock)
                seen = time.perf_counter()
                for top, _ in commits:
                    if top <= result.position and top not in covered:
                        covered[top] = seen
                if time.perf_counter() > stop and len(covered) == len(commits):
                    return
                # As the service's loop does (guard_analytics.adapters.service).
                await asyncio.sleep(min(interval, FOLLOW_UP_S) if result.follow_up else interval)

    await asyncio.gather(writer(), roller())
    await pool.close()
    lags = [covered[top] - at for top, at in commits if top in covered]
    q = statistics.quantiles(lags, n=100)
    print(f"lag at {rate:,} events/s for {seconds}s (cycle {interval}s): batches {len(commits)}, "
          f"covered {len(lags)}, p50 {q[49]:.2f}s p99 {q[98]:.2f}s max {max(lags):.2f}s")  # fmt: skip


def token(tenant: str) -> str:
    claims = {"sub": "bench", "aud": "console", "exp": int(time.time()) + 3600, "tenant_id": tenant}
    return jwt.encode(claims, SECRET, algorithm="HS256")


ENDPOINTS = {
    "patterns 168h": "/api/v1/incidents/patterns?window_hours=168",
    "recurring 7d": "/api/v1/incidents/recurring?baseline_days=7",
    "recurring 90d": "/api/v1/incidents/recurring?baseline_days=90",
    "cost-impact 7d": "/api/v1/incidents/cost-impact?baseline_days=7",
    "cost-impact 90d": "/api/v1/incidents/cost-impact?baseline_days=90",
    "metrics 7d": "/api/v1/incidents/metrics?window_days=7",
    "metrics 90d": "/api/v1/incidents/metrics?window_days=90",
    **{
        f"{kind} {days}d": f"/api/v1/incidents/historical/{kind}?window_days={days}&granularity=day"
        for kind in ("trend", "distribution", "cost-trend")
        for days in (7, 90, 365)
    },
    # The console's default granularity: a year is 53 points instead of 366.
    **{
        f"{kind} {days}d weekly": f"/api/v1/incidents/historical/{kind}?window_days={days}"
        for kind in ("trend", "cost-trend")
        for days in (7, 90, 365)
    },
    "costs summary": "/guard/costs/summary",
    "costs explained today": "/guard/costs/explained?period=today",
    "costs explained 7d": "/guard/costs/explained?period=7d",
    "costs explained 30d": "/guard/costs/explained?period=30d",
    "costs incidents": "/guard/costs/incidents?include_resolved=true",
}


#: Answers whose p99 should not grow with the window: (endpoint family, name suffix).
FLAT_FAMILIES = (
    ("trend", ""), ("distribution", ""), ("cost-trend", ""),
    ("trend", " weekly"), ("cost-trend", " weekly"),
)  # fmt: skip


def run_wrk(
    base: str, path: str, tenants: list[str], duration: int, connections: int = CONNECTIONS
) -> tuple[float, float, float, int]:
    sep = "&" if "?" in path else "?"
    requests = [(f"{path}{sep}{NOW_Q}", token(t)) for t in tenants]
    out = bench.run_wrk(base, requests, duration, connections)
    return out.rps, out.p50_ms, out.p99_ms, out.errors


def endpoints(
    url: str, duration: int, workers: int, only: str | None, connections: int
) -> dict[str, tuple[float, float]]:
    rng = random.Random(3)
    # Every tenant, the largest (Zipf rank 1 holds ~13 % of all rows) included.
    tenants = ["bench-0001", "bench-0002"] + [
        f"bench-{rng.randrange(1, 1001):04d}" for _ in range(300)
    ]
    port = ephemeral_port()
    api = bench.start_api(url, port, workers, SECRET)
    base = f"http://127.0.0.1:{port}"
    print(f"{url.rpartition('/')[2]}: {connections} connections, {workers} worker(s), "
          f"load average {load_average()}")  # fmt: skip
    print(f"{'endpoint':<26}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'target':>9}{'non-2xx':>9}")
    p99s: dict[str, float] = {}
    p50s: dict[str, float] = {}
    try:
        for name, path in ENDPOINTS.items():
            if only and only not in name:
                continue
            # Warm-up: every tenant at least once (wrk walks the list from its start each run),
            # so that p99 measures answers and not the first touch of each tenant's pages.
            warm_rps = run_wrk(base, path, tenants, 1, connections)[0]
            if warm_rps < len(tenants):
                run_wrk(
                    base, path, tenants, math.ceil(len(tenants) / max(warm_rps, 1)), connections
                )
            rps, p50, p99, errors = run_wrk(base, path, tenants, duration, connections)
            p99s[name], p50s[name] = p99, p50
            ok = verdict(p99 < P99_TARGET_MS and errors == 0)
            print(f"{name:<26}{rps:>9.0f}{p50:>9.2f}{p99:>9.2f}{'< 50':>9}{errors:>9}  {ok}",
                  flush=True)  # fmt: skip
    finally:
        api.terminate()
        api.wait(timeout=30)
    for family, suffix in FLAT_FAMILIES:
        kind = family + suffix
        values = [p99s[k] for d in (7, 90, 365) if (k := f"{family} {d}d{suffix}") in p99s]
        if len(values) == 3:
            spread = max(values) / max(min(values), 0.001)
            ok = verdict(spread <= 1.2 or max(values) < 10)
            print(f"{kind} p99 7d/90d/365d {values} ms: max/min {spread:.2f} "
                  f"(flat = within 1.2, or all under 10 ms) {ok}")  # fmt: skip
    return {name: (p50s[name], p99) for name, p99 in p99s.items()}


def growth(
    first: dict[str, tuple[float, float]],
    second: dict[str, tuple[float, float]],
    names: tuple[str, str],
) -> None:
    print(f"growth: p99 at {names[0]} vs {names[1]} (3x the cost events), target within 20 %"
          " (or both under 10 ms)")  # fmt: skip
    print(f"  {'endpoint':<26}{'p99 N':>9}{'p99 3N':>9}{'ratio':>7}   {'p50 N':>9}{'p50 3N':>9}")
    for name, (m50, a) in first.items():
        if name not in second:
            continue
        n50, b = second[name]
        ratio = b / max(a, 0.001)
        ok = ratio <= 1.2 or max(a, b) < 10
        print(f"  {name:<26}{a:>9.2f}{b:>9.2f}  x{ratio:.2f}   {m50:>9.2f}{n50:>9.2f}"
              f"  x{n50 / max(m50, 0.001):.2f}  {verdict(ok)}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="guard_bench_analytics")
    parser.add_argument("--growth", default=None, help="a second database with 3x the events")
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--incremental", action="store_true", help="also time catch_up")
    parser.add_argument("--parallel", type=int, default=2, help="rebuild connections")
    parser.add_argument("--skip-lag", action="store_true")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--rate", type=int, default=10_000)
    parser.add_argument("--lag-seconds", type=int, default=30)
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", default=None, help="run only endpoints whose name contains this")
    parser.add_argument("--connections", type=int, default=CONNECTIONS)
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL", "postgresql+asyncpg://guard@127.0.0.1:55432/guard")
    url = to_async_url(server).rpartition("/")[0] + f"/{args.database}"
    dsn = to_asyncpg_dsn(url)
    print(f"{os.cpu_count()} CPUs, database {args.database}, load average {load_average()}")
    if not args.skip_build:
        asyncio.run(build(dsn, args.parallel, args.incremental))
    if not args.skip_lag:
        asyncio.run(lag(dsn, args.rate, args.lag_seconds, args.interval))
    if not args.skip_http:
        first = endpoints(url, args.duration, args.workers, args.only, args.connections)
        if args.growth:
            other = to_async_url(server).rpartition("/")[0] + f"/{args.growth}"
            second = endpoints(other, args.duration, args.workers, args.only, args.connections)
            growth(first, second, (args.database, args.growth))
    print(f"load average at the end {load_average()}")


if __name__ == "__main__":
    main()
