"""One analytics statement, this checkout's against another revision's, interleaved on one connection.

    flock /tmp/bench.lock .venv/bin/python bench/analytics/ab_statement.py recurrence \\
        [--base HEAD] [--database guard_bench_perf_2m] [--runs 40] [--tenants bench-0001 ...]

The statement's text is taken from ``services/api/src/guard_api/drivers/analytics.py`` in the
working tree and at ``--base`` (``git show``). Both are prepared on one connection with the
gateway's session settings and run alternately (new first on even runs, old first on odd ones),
``--runs`` times each, for every tenant at 7 and 90 days before ``run.py``'s fixed ``now``. The
table shows the median of the runs from the seventh on (the prepared statement's generic plan,
as the gateway runs it), and the rows of the two must be identical. Alternating in one process
is what lets a 15 % change show on this machine, where back-to-back runs move by 2x with the
load (docs/benchmarks-log.md).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg
from sqlalchemy import TextClause
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect

from guard_api.drivers import analytics
from guard_api.drivers.database import SESSION_SETTINGS
from guard_contracts.enums import OPEN_STATES
from guard_storage.db import to_asyncpg_dsn

NOW = datetime(2026, 11, 1, tzinfo=UTC)  # run.py's NOW_Q
DRIVER = "services/api/src/guard_api/drivers/analytics.py"
SLA = {"sla_critical": Decimal(900), "sla_high": Decimal(3600), "sla_medium": Decimal(14400),
       "sla_low": Decimal(86400)}  # fmt: skip
#: statement name -> (attribute in the driver, its parameters beyond the window's)
STATEMENTS: dict[str, tuple[str, dict[str, Any]]] = {
    "recurrence": ("_RECURRENCE", {"threshold": 3, "limit": 20}),
    "metrics": ("_METRICS", {**SLA, "open_states": list(OPEN_STATES)}),
    "cost-impact": ("_COST_IMPACT", {}),
}


def driver_at(revision: str) -> ModuleType:
    source = subprocess.run(
        ["git", "show", f"{revision}:{DRIVER}"], check=True, capture_output=True, text=True
    ).stdout
    path = Path(tempfile.mkdtemp()) / "base_analytics.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("base_analytics", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["base_analytics"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


async def prepare(
    conn: asyncpg.Connection[Any], statement: TextClause, values: dict[str, Any]
) -> tuple[Any, list[Any]]:
    compiled = statement.compile(dialect=asyncpg_dialect())  # type: ignore[no-untyped-call]
    return await conn.prepare(str(compiled)), [values[n] for n in compiled.positiontup or []]


async def main(args: argparse.Namespace) -> None:
    attribute, extra = STATEMENTS[args.statement]
    base = driver_at(args.base)
    dsn = to_asyncpg_dsn(os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + args.database)
    conn = await asyncpg.connect(dsn, server_settings=SESSION_SETTINGS)
    print(f"{args.statement}: working tree against {args.base}, {args.runs} runs each, "
          f"load {os.getloadavg()[0]:.2f}")  # fmt: skip
    try:
        for tenant in args.tenants:
            for days in (7, 90):
                start = NOW - timedelta(days=days)
                low, high = analytics.day_interior(start, NOW)
                values = {"tenant": tenant, "start": start, "end": NOW, "now": NOW,
                          "low": low, "high": high, **extra}  # fmt: skip
                pair = {
                    "base": await prepare(conn, getattr(base, attribute), values),
                    "this": await prepare(conn, getattr(analytics, attribute), values),
                }
                times: dict[str, list[float]] = {"base": [], "this": []}
                rows: dict[str, list[tuple[Any, ...]]] = {}
                for run in range(args.runs):
                    for name in ("base", "this") if run % 2 else ("this", "base"):
                        statement, arguments = pair[name]
                        began = time.perf_counter()
                        rows[name] = [tuple(r) for r in await statement.fetch(*arguments)]
                        times[name].append((time.perf_counter() - began) * 1000)
                same = "same rows" if rows["base"] == rows["this"] else "ROWS DIFFER"
                old, new = (statistics.median(times[n][6:]) for n in ("base", "this"))
                print(f"{tenant:<12} {days:>3}d  base {old:7.1f} ms  this {new:7.1f} ms  "
                      f"x{new / old:.2f}  {same}")  # fmt: skip
    finally:
        await conn.close()
    print(f"load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("statement", choices=sorted(STATEMENTS))
    parser.add_argument("--base", default="HEAD")
    parser.add_argument("--database", default="guard_bench_perf_2m")
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--tenants", nargs="+", default=["bench-0001", "bench-0002", "bench-0010"])
    asyncio.run(main(parser.parse_args()))
