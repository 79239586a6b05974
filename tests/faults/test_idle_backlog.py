"""Ingest down for longer than the idle timeout while events keep coming: no incident is split.

Two ingest processes consume the same live stream into two databases: one runs throughout, the
other is killed (kill -9) and stays down for three idle timeouts while events keep arriving, then
restarts into the backlog. A wall-clock sweep would resolve the incidents of the "steady" tenants
on restart (their last applied event is older than the timeout) while the events that keep them
open still sit in the backlog, and the next event would open a second incident. By event time,
both runs must end with exactly the same incidents (docs/adr/0001-event-time-idle-sweep.md).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaProducer

from guard_devtools.services import run_ingest_process

from .conftest import PrivateServers
from .storm import new_database, new_topics, snapshot, wait_settled

pytestmark = [pytest.mark.faults, pytest.mark.slow]

IDLE: dict[str, Any] = {
    "group_window_s": 3, "idle_timeout_s": 4, "allowed_lateness_s": 1.5,
    "auto_resolve_interval_s": 0.25, "lag_interval_s": 0.5,
}  # fmt: skip
STEADY = [f"steady-{i}" for i in range(4)]  # an event every second: one incident throughout
BURSTY = [f"bursty-{i}" for i in range(4)]  # 3 events, then 8 s of silence: a new incident each


def _trigger(tenant: str, n: int) -> bytes:
    return orjson.dumps({
        "event_id": str(uuid.uuid4()), "event_type": "killswitch.triggered", "tenant_id": tenant,
        "occurred_at": datetime.now(UTC).isoformat(), "killswitch_id": f"ks-{tenant}-{n}",
        "trigger_type": "failure_spike", "action": "stopped", "policy_id": "p1",
        "agent_id": "agent-1", "calls_affected": 1,
    })  # fmt: skip


async def _live_stream(kafka: str, topic: str, seconds: float) -> int:
    """Events stamped with the wall clock as they are sent; returns how many."""
    producer = AIOKafkaProducer(bootstrap_servers=kafka, linger_ms=0, acks="all")
    await producer.start()
    sent = 0
    try:
        started = time.monotonic()
        tick = 0
        while (elapsed := time.monotonic() - started) < seconds:
            due = [t for t in STEADY if tick % 4 == 0]
            due += [t for t in BURSTY if int(elapsed) % 11 < 3 and tick % 2 == 0]
            for tenant in due:
                await producer.send_and_wait(topic, _trigger(tenant, tick), key=tenant.encode())
                sent += 1
            tick += 1
            await asyncio.sleep(0.25)
    finally:
        await producer.stop()
    return sent


async def test_a_backlog_longer_than_the_idle_timeout_splits_no_incident(
    private_servers: PrivateServers, tmp_path: Path
) -> None:
    kafka = private_servers.kafka.bootstrap
    topics = await new_topics(private_servers.kafka)
    live_db = await new_database(private_servers.postgres, "idle_live")
    stopped_db = await new_database(private_servers.postgres, "idle_stopped")
    async with (
        run_ingest_process(kafka, live_db, topics, log_path=str(tmp_path / "live.log"), **IDLE),
        run_ingest_process(
            kafka, stopped_db, topics, log_path=str(tmp_path / "stopped.log"), **IDLE
        ) as stopped,  # fmt: skip
    ):
        stream = asyncio.create_task(_live_stream(kafka, topics.killswitch_events, 30))
        await asyncio.sleep(6)
        stopped.kill()
        await asyncio.sleep(3 * IDLE["idle_timeout_s"])  # events keep arriving meanwhile
        await stopped.restart()
        sent = await stream
        await wait_settled(live_db, sent, within_s=60)
        await wait_settled(stopped_db, sent, within_s=60)

    live, after_outage = await snapshot(live_db), await snapshot(stopped_db)
    for tenant in STEADY:
        assert len(live["incidents"][tenant]) == 1, tenant
    for tenant in BURSTY:
        assert len(live["incidents"][tenant]) >= 2, tenant
    assert after_outage["incidents"] == live["incidents"]
    assert after_outage["timeline"] == live["timeline"]
