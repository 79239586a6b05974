"""Notifier benchmark: change-to-delivery latency at a steady rate, and delivery throughput.

    eval "$(scripts/infra env)"   # or export KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL
    .venv/bin/python bench/notifier/bench_notifier.py [--rate 200] [--seconds 20] [--burst 3000]

Uses a fresh database (migrated, dropped afterwards) and fresh topics on the given servers. The
notifier runs as its own process (``python -m guard_notifier``); the receiver (127.0.0.1) and the
producer run here. Phase 1 sends ``rate`` incident changes a second, spread over ``tenants``
tenants with one webhook channel each, and measures from each change's ``occurred_at`` (stamped
when it is sent) to its arrival at the receiver. Phase 2 sends ``burst`` changes at once and
measures how fast the notifier drains them (deliveries per second).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime

import asyncpg

from guard_contracts.topics import Topics
from guard_devtools.notifications import (
    command_bytes,
    create_channel_command,
    incident_change,
    produce,
)
from guard_devtools.receiver import Receiver, run_receiver
from guard_devtools.services import run_notifier_process
from guard_devtools.testing import create_topics, unique_topics
from guard_storage.db import to_async_url, to_asyncpg_dsn
from guard_storage.migrate import upgrade


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def paced(kafka: str, topic: str, tenants: list[str], rate: int, seconds: float) -> int:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=kafka, linger_ms=2, acks=1)
    await producer.start()
    sent, start = 0, time.monotonic()
    try:
        while time.monotonic() - start < seconds:
            due = int((time.monotonic() - start) * rate) + 1
            while sent < due:
                tenant = tenants[sent % len(tenants)]
                _, raw = incident_change(tenant, occurred_at=datetime.now(UTC))
                await producer.send(topic, raw, key=tenant.encode())
                sent += 1
            await asyncio.sleep(0.005)
        await producer.flush()
    finally:
        await producer.stop()
    return sent


async def wait_for(receiver: Receiver, count: int, within_s: float) -> None:
    deadline = time.monotonic() + within_s
    while len(receiver.received) < count and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--burst", type=int, default=3000)
    parser.add_argument("--tenants", type=int, default=20)
    args = parser.parse_args()
    kafka = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    admin = to_asyncpg_dsn(os.environ["DATABASE_URL"])
    name = f"guard_bench_notifier_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(admin)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = to_async_url(os.environ["DATABASE_URL"]).rpartition("/")[0] + "/" + name
    try:
        await asyncio.to_thread(upgrade, url)
        topics = unique_topics("bench")
        await create_topics(kafka, topics)
        await run(kafka, url, topics, args)
    finally:
        conn = await asyncpg.connect(admin)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


async def run(kafka: str, url: str, topics: Topics, args: argparse.Namespace) -> None:
    tenants = [f"bench-{i:03d}" for i in range(args.tenants)]
    log = os.path.join(tempfile.gettempdir(), "guard-bench-notifier.log")
    async with run_receiver() as receiver:
        commands = [create_channel_command(t, receiver.url(t), name=t) for t in tenants]
        await produce(kafka, topics.notification_commands, [command_bytes(c) for c in commands])
        async with run_notifier_process(kafka, url, topics, log_path=log, flood_limit=100_000,
                                        log_level="WARNING", max_in_flight=128, request_timeout_s=10.0):  # fmt: skip
            # Warm-up: one message per channel (connections, prepared statements).
            await produce(kafka, topics.incident_changes,
                          [(t, incident_change(t)[1]) for t in tenants])  # fmt: skip
            await wait_for(receiver, len(tenants), 60)
            receiver.received.clear()

            sent = await paced(kafka, topics.incident_changes, tenants, args.rate, args.seconds)
            await wait_for(receiver, sent, 120)
            latencies = [
                r.at - datetime.fromisoformat(r.json()["timestamp"]).timestamp()
                for r in receiver.received
            ]
            print(f"phase 1: {sent} changes at {args.rate}/s over {args.seconds:.0f} s, "
                  f"{len(latencies)} delivered")  # fmt: skip
            print(f"  change -> delivery: p50 {statistics.median(latencies) * 1000:.0f} ms, "
                  f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms, "
                  f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms, "
                  f"max {max(latencies) * 1000:.0f} ms")  # fmt: skip

            receiver.received.clear()
            records = []
            for i in range(args.burst):
                t = tenants[i % len(tenants)]
                records.append((t, incident_change(t)[1]))
            started = time.time()
            await produce(kafka, topics.incident_changes, records)
            await wait_for(receiver, args.burst, 300)
            arrivals = sorted(r.at for r in receiver.received)
            span = arrivals[-1] - started
            print(f"phase 2: burst of {args.burst} changes drained in {span:.1f} s: "
                  f"{len(arrivals) / span:.0f} deliveries/s")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
