"""The gateway's own CPU per request, without an HTTP server: ASGI calls straight into the app.

    flock /tmp/bench.lock .venv/bin/python bench/api/cost_per_request.py [--requests 6400] \\
        [--profile out.prof]

Runs against the benchmark database of ``load_incidents.py`` (1M incidents), 32 requests in
flight, the same sampled targets and tokens as ``run_bench.py``, the rate limiter on (1,000,000
reads/minute, never refusing). Reports the process CPU time (``time.process_time``) per request
for each scenario: PostgreSQL runs in its own processes, so this is the Python (and kernel) cost
of the gateway alone, the part issue 12 asks to cut. ``--profile`` writes a cProfile of the
measured requests (``scenario.prof`` per scenario).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from pathlib import Path

import uvloop

sys.path.insert(0, str(Path(__file__).parent))
import run_bench as rb

from guard_devtools import bench
from guard_storage.db import to_async_url, to_asyncpg_dsn

IN_FLIGHT = 32


async def measure(name: str, requests: int, database: str, profile: str | None) -> str:
    server = os.environ.get("DATABASE_URL", "postgresql+asyncpg://guard@127.0.0.1:55432/guard")
    url = to_async_url(server).rpartition("/")[0] + f"/{database}"
    os.environ.update({
        "GUARD_API_DATABASE_URL": url, "GUARD_API_JWT_SECRET": rb.SECRET,
        "GUARD_API_ENVIRONMENT": "production", "GUARD_API_DB_POOL_SIZE": "16",
        "GUARD_API_LOG_LEVEL": "WARNING", "GUARD_API_RATE_LIMIT_READS": "1000000/minute",
    })  # fmt: skip
    from guard_api.config import Settings
    from guard_api.main import create_app

    targets = await rb.sample_targets(to_asyncpg_dsn(url), 5_000)
    plan = rb.requests_for(name, targets)
    app = create_app(Settings())
    statuses: dict[int, int] = {}

    async def worker(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(requests // IN_FLIGHT):
            path, token = rng.choice(plan)
            await bench.asgi_get(app, path, token, statuses)

    async with app.router.lifespan_context(app):
        await asyncio.gather(*(worker(k) for k in range(IN_FLIGHT)))  # warm-up
        statuses.clear()
        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(worker(k + 1000) for k in range(IN_FLIGHT)))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        if profiler is not None and profile:
            profiler.disable()
            profiler.dump_stats(f"{name}.{profile}")
    done = sum(statuses.values())
    return (
        f"{name:<8}{cpu / done * 1e6:>8.0f} us CPU/request  {done / wall:>7.0f} req/s in-process"
        f"  statuses {statuses}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="guard_bench_api")
    parser.add_argument("--requests", type=int, default=6400)
    parser.add_argument("--profile", default=None)
    args = parser.parse_args()
    for name in ("active", "detail", "by_run"):
        print(uvloop.run(measure(name, args.requests, args.database, args.profile)), flush=True)


if __name__ == "__main__":
    main()
