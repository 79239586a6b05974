"""Producing events and reading the DLQ / change topic in ingest integration tests."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord


def now_iso(offset_s: float = 0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=offset_s)).isoformat()


def event(event_type: str, tenant: str, **fields: Any) -> dict[str, Any]:
    return {"event_id": str(uuid.uuid4()), "event_type": event_type, "tenant_id": tenant,
            "occurred_at": now_iso()} | fields  # fmt: skip


def cost(tenant: str, usd: str = "0.001234", **fields: Any) -> dict[str, Any]:
    return event("cost.recorded", tenant, model="claude-3-haiku", input_tokens=10,
                 output_tokens=5, cost_usd=usd, **fields)  # fmt: skip


def trigger(tenant: str, killswitch_id: str | None = None, **fields: Any) -> dict[str, Any]:
    base = {"killswitch_id": killswitch_id or f"ks-{uuid.uuid4().hex[:8]}",
            "trigger_type": "failure_spike", "action": "stopped", "policy_id": "pol-1",
            "agent_id": "agent-1"}  # fmt: skip
    return event("killswitch.triggered", tenant, **(base | fields))


async def produce(bootstrap: str, topic: str, messages: list[Any], key: str) -> None:
    """Send in order (one tenant key, so one partition); dicts as JSON, bytes as they are."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20)
    await producer.start()
    try:
        futures = [
            await producer.send(
                topic,
                m if isinstance(m, bytes) else json.dumps(m).encode(),
                key=key.encode(),
                headers=[("trace-id", b"t-" + key.encode())],
            )
            for m in messages
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def read_topic(
    bootstrap: str, topic: str, key: str, expected: int, within_s: float = 20.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Records with this key, read from the beginning until ``expected`` are seen."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                group_id=None, enable_auto_commit=False)  # fmt: skip
    await consumer.start()
    found: list[ConsumerRecord[bytes, bytes]] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within_s
        while len(found) < expected and loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                found += [r for r in records if r.key == key.encode()]
    finally:
        await consumer.stop()
    return found
