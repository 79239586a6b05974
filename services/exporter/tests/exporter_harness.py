"""Running the exporter in-process against the real Kafka and Postgres, and watching its output."""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from guard_contracts.topics import Topics
from guard_exporter.adapters.processing import Renderer
from guard_exporter.config import Settings
from guard_exporter.engines.render import render
from guard_exporter.main import create_app

SEED = bytes(range(32))
KEY = Ed25519PrivateKey.from_private_bytes(SEED)


def exporter_settings(database_url: str, kafka: str, topics: Topics, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "kafka_bootstrap_servers": kafka,
        "topic_export_requests": topics.export_requests,
        "topic_export_results": topics.export_results,
        "topic_dlq": topics.dlq,
        "group_id": f"exporter-test-{uuid.uuid4().hex[:8]}",
        "signing_key": base64.b64encode(SEED).decode(),
        "retry_backoff_seconds": 0.2,
        "environment": "preflight",
    }
    values.update(overrides)
    return Settings(**values)


@asynccontextmanager
async def running_exporter(settings: Settings, renderer: Renderer = render) -> AsyncIterator[None]:
    _, broker, parts = create_app(settings, renderer)
    await parts.start()
    await broker.start()
    try:
        yield
    finally:
        await broker.stop()
        await parts.stop()


def export_request(
    tenant_id: str, incident_id: uuid.UUID, kind: str, fmt: str, **extra: Any
) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": "export.requested",
        "tenant_id": tenant_id,
        "occurred_at": datetime(2026, 11, 21, 8, 0, tzinfo=UTC).isoformat(),
        "export_id": str(uuid.uuid4()),
        "incident_id": str(incident_id),
        "kind": kind,
        "format": fmt,
        "requested_by": "auditor@example.com",
        "prepared_for": "Audit committee",
        **extra,
    }


async def publish(kafka: str, topic: str, key: str, *values: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all")
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value=value, key=key.encode())
    finally:
        await producer.stop()


async def wait_for_job(db: Any, export_id: str, within: float = 30.0) -> dict[str, Any]:
    """The job row once it is completed or failed."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        row = await db.fetchrow(
            "SELECT * FROM export_jobs WHERE export_id = $1", uuid.UUID(export_id)
        )
        if row is not None and row["status"] in ("completed", "failed"):
            return dict(row)
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"export {export_id} did not finish: {row and dict(row)}")
        await asyncio.sleep(0.1)


async def read_topic(kafka: str, topic: str, predicate: Any, within: float = 20.0) -> list[Any]:
    """Records of ``topic`` (from the start) matching ``predicate``, once at least one does."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=kafka, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    found: list[Any] = []
    try:
        deadline = asyncio.get_running_loop().time() + within
        while asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                found += [r for r in records if predicate(r)]
            if found:
                # Drain what is already there, so duplicates would show.
                more = await consumer.getmany(timeout_ms=500)
                for records in more.values():
                    found += [r for r in records if predicate(r)]
                return found
    finally:
        await consumer.stop()
    return found
