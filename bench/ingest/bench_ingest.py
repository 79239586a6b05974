"""Ingest throughput benchmark (not a test). Run from the repository root:

    eval "$(scripts/infra env)"
    .venv/bin/python bench/ingest/bench_ingest.py --events 1000000 --tenants 1000

1. builds N realistic events (Zipf tenants, ~90 % cost, ~10 % killswitch) and pre-loads them into
   fresh topics on the local broker (127.0.0.1 only);
2. ceiling A: a bare aiokafka consumer reads both topics and does nothing with the records;
3. ceiling B: COPY of the same rows (already decoded) straight into Postgres (the issue's
   ceiling); also printed, not a verdict: B2, the same COPY preceded in each transaction by
   the COPY of the events' keys into the dedupe ledger ``cost_event_keys``, i.e. the two
   writes the ingest itself makes for every cost event (docs/operations-scaling.md);
4. ingest: ``python -m guard_ingest`` as a subprocess drains the topics into a fresh database;
   timed from process start until every event is a committed row; peak RSS from /proc (VmHWM).
   ``--replicas 2`` runs two ingest processes in one consumer group (horizontal scaling).
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import contextlib
import os
import sysconfig
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import orjson
from aiokafka import AIOKafkaConsumer

from guard_contracts.events import CostRecorded
from guard_contracts.money import usd_to_micros
from guard_devtools.services import mixed_workload, produce_workload, run_ingest_process
from guard_devtools.testing import create_topics, unique_topics
from guard_storage.db import to_async_url, to_asyncpg_dsn
from guard_storage.migrate import upgrade

COST_COLUMNS = ("tenant_id", "event_id", "occurred_at", "run_id", "agent_id", "user_id",
                "feature_tag", "model", "input_tokens", "output_tokens", "cost_micros",
                "duration_ms", "status")  # fmt: skip


def compile_bytecode() -> None:
    """Compile the environment's modules as the image does (``UV_COMPILE_BYTECODE=1``).

    With ``PYTHONDONTWRITEBYTECODE=1`` and no ``.pyc`` files, every ingest start would compile
    all of pydantic, FastStream, aiokafka, FastAPI … again (2-10 s on this VM): that is a cost of
    the development checkout, not of ingest. Already compiled modules are only stat'ed.
    """
    root = Path(__file__).resolve().parents[2]
    paths = [Path(sysconfig.get_paths()["purelib"])]
    paths += [src for src in root.glob("*/*/src") if src.is_dir()]
    for path in paths:
        compileall.compile_dir(path, quiet=1, workers=os.cpu_count() or 1)


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


async def bare_consume(bootstrap: str, topics: list[str], total: int) -> float:
    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap, group_id=f"bare-{uuid.uuid4().hex[:6]}",
                                auto_offset_reset="earliest", enable_auto_commit=False,
                                max_partition_fetch_bytes=8 * 1024 * 1024)  # fmt: skip
    await consumer.start()
    seen = 0
    started = time.perf_counter()
    try:
        while seen < total:
            batch = await consumer.getmany(timeout_ms=500, max_records=10_000)
            seen += sum(len(records) for records in batch.values())
    finally:
        elapsed = time.perf_counter() - started
        await consumer.stop()
    return seen / elapsed


def decoded_cost_rows(messages: list[tuple[str, str, bytes]]) -> list[tuple[Any, ...]]:
    rows = []
    for kind, _, payload in messages:
        if kind != "cost":
            continue
        e = CostRecorded.model_validate(orjson.loads(payload))
        rows.append((e.tenant_id, e.event_id, e.occurred_at, e.run_id, e.agent_id, e.user_id,
                     e.feature_tag, e.model, e.input_tokens, e.output_tokens,
                     usd_to_micros(e.cost_usd), e.duration_ms, e.status.value if e.status else None))  # fmt: skip
    return rows


async def copy_ceiling(
    dsn: str, rows: list[tuple[Any, ...]], killswitch: int, with_keys: bool = False
) -> float:
    """Rows per second of a plain COPY into cost_events, in 5,000-row transactions; with
    ``with_keys``, each transaction first COPYs the rows' keys into the dedupe ledger, as the
    ingest does (events per second, then).

    The killswitch share is timed as cost rows too (the cheapest possible write), so the ceiling
    counts the same number of rows as the workload.
    """
    conn = await asyncpg.connect(dsn)
    extra = rows[:killswitch]
    extra = [(r[0], uuid.uuid4(), *r[2:]) for r in extra]
    all_rows = rows + extra
    started = time.perf_counter()
    try:
        for i in range(0, len(all_rows), 5000):
            async with conn.transaction():
                if with_keys:
                    await conn.copy_records_to_table(
                        "cost_event_keys", records=[r[:3] for r in all_rows[i : i + 5000]],
                        columns=COST_COLUMNS[:3],
                    )  # fmt: skip
                await conn.copy_records_to_table("cost_events", records=all_rows[i : i + 5000],
                                                 columns=COST_COLUMNS)  # fmt: skip
        elapsed = time.perf_counter() - started
        await conn.execute("TRUNCATE cost_events, cost_event_keys")
    finally:
        await conn.close()
    return len(all_rows) / elapsed


async def fresh_database(admin_url: str) -> str:
    name = f"guard_bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(to_asyncpg_dsn(admin_url))
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return to_async_url(admin_url).rpartition("/")[0] + f"/{name}"


async def drop_database(admin_url: str, url: str) -> None:
    conn = await asyncpg.connect(to_asyncpg_dsn(admin_url))
    await conn.execute(f'DROP DATABASE IF EXISTS "{url.rpartition("/")[2]}" WITH (FORCE)')
    await conn.close()


def peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def stored(dsn: str) -> tuple[int, int]:
    """(cost rows, killswitch rows) committed so far."""
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM cost_events) AS c, "
            "(SELECT count(*) FROM killswitch_events) AS k")  # fmt: skip
        return int(row["c"]), int(row["k"])
    finally:
        await conn.close()


async def run_ingest_timed(
    bootstrap: str, url: str, topics: Any, total: int, costs: int, replicas: int,
    overrides: dict[str, Any],
) -> tuple[float, float]:  # fmt: skip
    """Start ``replicas`` ingest processes in one consumer group; time until all rows commit."""
    dsn = to_asyncpg_dsn(url)
    group = f"bench-{uuid.uuid4().hex[:6]}"
    started = time.perf_counter()
    async with contextlib.AsyncExitStack() as stack:
        # Every replica starts at once, so the group forms once instead of rebalancing when a
        # late one joins mid-stream.
        procs = await asyncio.gather(*(
            stack.enter_async_context(run_ingest_process(
                bootstrap, url, topics, log_path=f"/tmp/guard-ingest-bench-{i}.log",
                log_level="WARNING", group_id=group, **overrides))
            for i in range(replicas)
        ))  # fmt: skip
        rss = 0.0
        drained: dict[str, float] = {}
        while sum(counts := await stored(dsn)) < total:
            rss = max([rss] + [peak_rss_mb(p.proc.pid) for p in procs if p.proc is not None])
            for name, count, goal in (
                ("cost", counts[0], costs),
                ("killswitch", counts[1], total - costs),
            ):
                if count >= goal and name not in drained:
                    drained[name] = time.perf_counter() - started
            if sum(counts) and "first row" not in drained:  # process start + group join
                drained["first row"] = time.perf_counter() - started
            await asyncio.sleep(0.25)
        elapsed = time.perf_counter() - started
        n = sum(counts)
        for name in ("cost", "killswitch"):
            drained.setdefault(name, elapsed)
        log(
            f"drained: {', '.join(f'{k} after {v:.1f}s' for k, v in drained.items())}, "
            f"all after {elapsed:.1f}s"
        )
        rss = max([rss] + [peak_rss_mb(p.proc.pid) for p in procs if p.proc is not None])
    log(f"ingest stored {n} events")
    return total / elapsed, rss


async def main(args: argparse.Namespace) -> None:
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    compile_bytecode()
    admin_url = os.environ["DATABASE_URL"]
    log(
        f"building {args.events:,} events for {args.tenants:,} tenants; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (shared with Kafka and Postgres)"
    )
    work = mixed_workload(args.events, tenants=args.tenants, span=timedelta(minutes=8),
                          start=datetime.now(UTC) - timedelta(minutes=9))  # fmt: skip
    topics = unique_topics("bench")
    await create_topics(bootstrap, topics, partitions=args.partitions)
    started = time.perf_counter()
    await produce_workload(bootstrap, topics, work.messages)
    log(f"pre-loaded in {time.perf_counter() - started:.1f}s "
        f"({work.cost_events:,} cost, {work.killswitch_events:,} killswitch)")  # fmt: skip

    bare = await bare_consume(
        bootstrap, [topics.cost_events, topics.killswitch_events], args.events
    )
    log(f"ceiling A, bare aiokafka consumer: {bare:,.0f} events/s")

    url = await fresh_database(admin_url)
    try:
        await asyncio.to_thread(upgrade, url)
        rows = decoded_cost_rows(work.messages)
        copy = await copy_ceiling(to_asyncpg_dsn(url), rows, work.killswitch_events)
        log(f"ceiling B, COPY into Postgres: {copy:,.0f} rows/s")
        keyed = await copy_ceiling(
            to_asyncpg_dsn(url), rows, work.killswitch_events, with_keys=True
        )
        log(
            f"B2, COPY of each event's key and row (the ingest's own writes): {keyed:,.0f} events/s"
        )
        del rows
        # production batching (the test helpers default to short timeouts for fast feedback)
        overrides: dict[str, Any] = {"db_pool_size": 4, "batch_timeout_ms": 200,
                                     "outbox_interval_s": 1.0}  # fmt: skip
        if args.max_records:
            overrides["cost_max_records"] = args.max_records
        rate, rss = await run_ingest_timed(bootstrap, url, topics, args.events, work.cost_events, args.replicas,
                                           overrides)  # fmt: skip
        log(f"load average {os.getloadavg()[0]:.1f}; "
            f"ingest end to end ({args.replicas} process(es)): {rate:,.0f} events/s; "
            f"peak RSS {rss:.0f} MB per process")  # fmt: skip
        lower = min(bare, copy)
        print(f"\nRESULT events={args.events} bare={bare:,.0f}/s copy={copy:,.0f}/s "
              f"ingest={rate:,.0f}/s ({rate / lower:.0%} of the lower ceiling; "
              f"{rate / keyed:.0%} of B2={keyed:,.0f}/s) peak_rss={rss:.0f}MB "
              f"targets: >=30,000/s {'met' if rate >= 30_000 else 'MISSED'}, "
              f">=50% {'met' if rate >= lower / 2 else 'MISSED'}, "
              f"<300MB {'met' if rss < 300 else 'MISSED'}")  # fmt: skip
    finally:
        await drop_database(admin_url, url)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--partitions", type=int, default=2)
    parser.add_argument("--max-records", type=int, default=None,
                        help="cost batch size (default: the service's cost_max_records)")  # fmt: skip
    parser.add_argument("--replicas", type=int, default=1, help="ingest processes, one group")
    asyncio.run(main(parser.parse_args()))
