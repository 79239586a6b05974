"""``python -m guard_analytics.rebuild``: rebuild the cost rollups from the raw cost events.

For after a restore, a change to how events are bucketed, or rollups that are suspected wrong.
It takes the cost rollup job's lock (a running analytics service skips its cost cycles
meanwhile and goes on from where the rebuild ends), empties the cost rollups and fills them
again on ``--parallel`` connections (docs/operations-scaling.md, "Incremental and rebuild").
Answers read partial rollups while it runs: run it in a quiet hour. The database comes from
the service's settings (``GUARD_ANALYTICS_DATABASE_URL`` or ``DATABASE_URL``).

Exit status: 0 rebuilt; 2 the database cannot be reached or the settings are invalid.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import asyncpg
from pydantic import ValidationError

from guard_analytics.adapters.rollup_job import RebuildResult, rebuild_cost_rollups
from guard_analytics.config import Settings
from guard_analytics.drivers.database import open_pool


def _connections(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 32:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 32, not {text!r}")
    return int(text)


async def _rebuild(settings: Settings, parallel: int) -> RebuildResult:
    pool = await open_pool(settings.database_url, parallel + 1)
    try:
        return await rebuild_cost_rollups(
            pool, settings.clock, parallel=parallel, work_mem=settings.rollup_work_mem
        )
    finally:
        await pool.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m guard_analytics.rebuild", description=__doc__)
    parser.add_argument(
        "--parallel",
        type=_connections,
        default=2,
        metavar="N",
        help="connections aggregating at once, 1-32 (default 2; one per database core)",
    )
    args = parser.parse_args(argv)
    try:
        settings = Settings()
        result = asyncio.run(_rebuild(settings, args.parallel))
    except ValidationError as exc:
        print(f"ERROR: invalid settings: {exc}", file=sys.stderr)
        return 2
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"ERROR: the database cannot be used: {exc}", file=sys.stderr)
        return 2
    print(
        f"rebuilt the cost rollups from {result.events:,} cost events up to seq "
        f"{result.position} in {result.seconds:.1f}s (aggregating {result.aggregate_seconds:.1f}s,"
        f" keys {result.keys_seconds:.1f}s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
