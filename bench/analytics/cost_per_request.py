"""The gateway's own CPU per analytics answer, without an HTTP server: ASGI calls into the app.

    flock /tmp/bench.lock .venv/bin/python bench/analytics/cost_per_request.py \\
        [--database guard_bench_perf_2m] [--requests 1600] [--only trend] [--profile out.prof]

The analytics counterpart of ``bench/api/cost_per_request.py``: the endpoints and tenants of
``run.py`` (random tenants, the largest included, fixed ``now``), 16 requests in flight, the
rate limiter on but never refusing. Reports the process CPU time (``time.process_time``) per
answer: PostgreSQL runs in its own processes, so this is the gateway's Python (and kernel) cost
alone, which is what queues at 16 connections on two shared cores; beside it the wall-clock
p50 and p99 of the measured requests (PostgreSQL included, no HTTP). ``--profile`` writes a
cProfile of the measured requests per endpoint (``<endpoint>.<profile>``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from pathlib import Path

import uvloop

sys.path.insert(0, str(Path(__file__).parent))
import run as ar

from guard_devtools import bench

IN_FLIGHT = 16


async def measure(database: str, requests: int, only: str | None, profile: str | None) -> None:
    server = os.environ.get("DATABASE_URL", "postgresql+asyncpg://guard@127.0.0.1:55432/guard")
    url = server.rpartition("/")[0] + f"/{database}"
    os.environ.update({
        "GUARD_API_DATABASE_URL": url, "GUARD_API_JWT_SECRET": ar.SECRET,
        "GUARD_API_ENVIRONMENT": "production", "GUARD_API_DB_POOL_SIZE": "16",
        "GUARD_API_LOG_LEVEL": "WARNING", "GUARD_API_RATE_LIMIT_READS": "1000000/minute",
    })  # fmt: skip
    from guard_api.config import Settings
    from guard_api.main import create_app

    rng = random.Random(3)
    tenants = ["bench-0001", "bench-0002"] + [
        f"bench-{rng.randrange(1, 1001):04d}" for _ in range(300)
    ]
    tokens = {t: ar.token(t) for t in tenants}
    app = create_app(Settings())
    statuses: dict[int, int] = {}

    latencies: list[float] = []

    async def one(path: str, tenant: str) -> None:
        sep = "&" if "?" in path else "?"
        started = time.perf_counter()
        await bench.asgi_get(app, f"{path}{sep}{ar.NOW_Q}", tokens[tenant], statuses)
        latencies.append((time.perf_counter() - started) * 1000)

    async def worker(path: str, seed: int, count: int) -> None:
        pick = random.Random(seed)
        for _ in range(count):
            await one(path, pick.choice(tenants))

    print(f"{'endpoint':<26}{'CPU us/answer':>14}{'answers/s':>11}{'p50 ms':>8}{'p99 ms':>8}"
          "  statuses")  # fmt: skip
    async with app.router.lifespan_context(app):
        for name, path in ar.ENDPOINTS.items():
            if only and only not in name:
                continue
            per = max(1, requests // IN_FLIGHT)
            await asyncio.gather(*(worker(path, k, max(1, per // 4)) for k in range(IN_FLIGHT)))
            statuses.clear()
            latencies.clear()
            profiler = None
            if profile:
                import cProfile

                profiler = cProfile.Profile()
                profiler.enable()
            cpu, wall = time.process_time(), time.perf_counter()
            await asyncio.gather(*(worker(path, k + 1000, per) for k in range(IN_FLIGHT)))
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            if profiler is not None:
                profiler.disable()
                profiler.dump_stats(f"{name.replace(' ', '_')}.{profile}")
            done = sum(statuses.values())
            cuts = statistics.quantiles(latencies, n=100)
            print(f"{name:<26}{cpu / done * 1e6:>14.0f}{done / wall:>11.0f}{cuts[49]:>8.1f}"
                  f"{cuts[98]:>8.1f}  {statuses}", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="guard_bench_perf_2m")
    parser.add_argument("--requests", type=int, default=1600)
    parser.add_argument("--only", default=None, help="only endpoints whose name contains this")
    parser.add_argument("--profile", default=None)
    args = parser.parse_args()
    uvloop.run(measure(args.database, args.requests, args.only, args.profile))


if __name__ == "__main__":
    main()
