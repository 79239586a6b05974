"""PostgreSQL time of the gateway's incident-analytics statements for chosen tenants and windows.

    flock /tmp/bench.lock .venv/bin/python bench/analytics/statements.py \\
        [--database guard_bench_perf_2m] [--tenants bench-0001 bench-0002 bench-0010] [--runs 8]

Each answer's repository call (guard_api.drivers.analytics.AnalyticsRepository) runs ``--runs``
times in a row on one connection with the gateway's session settings, at ``run.py``'s fixed
``now``; the table shows the median of the first five (custom plans) and of the rest (PostgreSQL
may switch a prepared statement to its generic plan from the sixth run on). Round trip included,
decoding the rows included, the engines and the HTTP layer not: this is what one large tenant's
answer costs the database, the figure that sets the analytics p99 at 16 connections on two cores
(docs/operations-scaling.md#where-the-targets-stand).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import create_async_engine

from guard_api.drivers.analytics import AnalyticsRepository
from guard_api.drivers.database import SESSION_SETTINGS
from guard_api.engines.analytics_costs import TOP_ITEMS
from guard_api.engines.analytics_incidents import PATTERN_IDS, SPIKE_SEVERITIES, SPIKE_WINDOW
from guard_contracts.enums import OPEN_STATES

NOW = datetime(2026, 11, 1, tzinfo=UTC)  # run.py's NOW_Q
SLA = {"critical": 900, "high": 3600, "medium": 14400, "low": 86400}

Call = Callable[[AnalyticsRepository, str], Awaitable[Any]]


def calls() -> dict[str, Call]:
    def days(n: int) -> datetime:
        return NOW - timedelta(days=n)

    def explained(start: datetime) -> Call:
        return lambda r, t: r.explained_spend(
            t, start, NOW + timedelta(hours=1), (days(7), NOW), TOP_ITEMS, "cost_rollup"
        )

    return {
        "patterns 168h": lambda r, t: r.pattern_groups(
            t, NOW - timedelta(hours=168), NOW, spike_from=NOW - SPIKE_WINDOW,
            spike_severities=SPIKE_SEVERITIES, open_states=OPEN_STATES, ids=PATTERN_IDS, limit=10,
        ),
        "recurring 7d": lambda r, t: r.recurrence_groups(t, days(7), NOW, 3, 20),
        "recurring 90d": lambda r, t: r.recurrence_groups(t, days(90), NOW, 3, 20),
        "cost-impact 90d": lambda r, t: r.cost_impact(t, days(90), NOW),
        "metrics 7d": lambda r, t: r.metrics(t, days(7), NOW, SLA, OPEN_STATES),
        "metrics 90d": lambda r, t: r.metrics(t, days(90), NOW, SLA, OPEN_STATES),
        "trend 365d": lambda r, t: r.incident_days(t, days(365), NOW, True, "incident_rollup"),
        # The cost explanation (adapters.costs.explained): the window's whole hours up to the
        # current one, the candidates' 7-day baselines.
        "explained today": explained(NOW),
        "explained 7d": explained(days(7)),
        "explained 30d": explained(days(30)),
    }  # fmt: skip


async def measure(database: str, tenants: list[str], runs: int) -> None:
    server = os.environ.get("DATABASE_URL", "postgresql+asyncpg://guard@127.0.0.1:55432/guard")
    url = server.rpartition("/")[0] + f"/{database}"
    engine = create_async_engine(url, connect_args={"server_settings": dict(SESSION_SETTINGS)})
    print(f"{database}, now {NOW.isoformat()}, {runs} runs per call, load {os.getloadavg()}")
    print(f"{'call':<18}{'tenant':<12}{'custom ms':>11}{'generic ms':>12}")
    try:
        async with engine.connect() as conn:
            repo = AnalyticsRepository(conn)
            for name, call in calls().items():
                for tenant in tenants:
                    times = []
                    for _ in range(runs):
                        started = time.perf_counter()
                        await call(repo, tenant)
                        times.append((time.perf_counter() - started) * 1000)
                    later = f"{statistics.median(times[5:]):>12.1f}" if runs > 5 else ""
                    print(f"{name:<18}{tenant:<12}{statistics.median(times[:5]):>11.1f}{later}")
                await conn.rollback()  # end the implicit transaction between calls
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="guard_bench_perf_2m")
    parser.add_argument("--tenants", nargs="+", default=["bench-0001", "bench-0002", "bench-0010"])
    parser.add_argument("--runs", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(measure(args.database, args.tenants, args.runs))


if __name__ == "__main__":
    main()
