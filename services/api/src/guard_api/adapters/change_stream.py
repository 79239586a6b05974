"""Incident changes for the console's live view: one Kafka consumer per gateway process on the
incident-change topic, fanned out to the open streams of the change's tenant
(services/console/README.md, "Live updates").

The consumer starts with the first subscriber (a gateway nobody watches costs nothing) and reads
from the end of the topic without a consumer group: a stream shows what happens while it is open;
what happened before is what the REST reads return. A subscriber that cannot keep up loses
changes and is told so (``overflow``), so the page reloads instead of showing a stale list.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

log = logging.getLogger(__name__)

#: Changes kept per subscriber before it is marked as overflowing.
QUEUE_SIZE = 200
#: Fields of the incident a stream client receives (the rest is one REST read away).
INCIDENT_FIELDS = ("incident_id", "lifecycle_state", "severity", "title", "category")
OVERFLOW: dict[str, Any] = {"overflow": True}


def summarise(value: bytes) -> tuple[str, dict[str, Any]] | None:
    """(tenant, what the console needs) of one ``incident.changed`` record; None if unreadable."""
    try:
        change = json.loads(value)
        incident = change["incident"]
        summary = {name: incident.get(name) for name in INCIDENT_FIELDS}
        summary |= {
            "change_type": change["change_type"],
            "sequence": change["sequence"],
            "occurred_at": change["occurred_at"],
        }
        return str(change["tenant_id"]), summary
    except (ValueError, KeyError, TypeError):
        return None


class ChangeHub:
    def __init__(self, bootstrap_servers: str, topic: str, retry_seconds: float = 2.0) -> None:
        self._bootstrap = bootstrap_servers
        self._topic = topic
        self._retry = retry_seconds
        self._subscribers: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()

    @contextlib.asynccontextmanager
    async def subscribe(self, tenant: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self._subscribers[tenant].add(queue)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._consume(), name="console-change-hub")
        try:
            yield queue
        finally:
            self._subscribers[tenant].discard(queue)
            if not self._subscribers[tenant]:
                del self._subscribers[tenant]

    def publish(self, tenant: str, summary: dict[str, Any]) -> None:
        for queue in self._subscribers.get(tenant, ()):
            try:
                queue.put_nowait(summary)
            except asyncio.QueueFull:
                queue.get_nowait()  # make room for the marker: the client reloads everything
                queue.put_nowait(OVERFLOW)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _consume(self) -> None:
        while True:
            consumer = AIOKafkaConsumer(
                self._topic,
                bootstrap_servers=self._bootstrap,
                group_id=None,  # every partition, no group: each gateway process sees everything
                auto_offset_reset="latest",
                enable_auto_commit=False,
            )
            try:
                await consumer.start()
                assigned = await _assignment(consumer)
                if not assigned:
                    raise LookupError(f"topic {self._topic} has no partitions (yet)")
                # Position at the end now, so "ready" means later changes will be delivered.
                await consumer.seek_to_end(*assigned)
                for partition in assigned:
                    await consumer.position(partition)
                self.ready.set()
                async for record in consumer:
                    parsed = summarise(record.value) if record.value is not None else None
                    if parsed is not None:
                        self.publish(*parsed)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Kafka away: streams stay open, the REST reads still work
                log.warning("incident change stream interrupted: %s", type(exc).__name__)
                await asyncio.sleep(self._retry)
            finally:
                self.ready.clear()
                await consumer.stop()


async def _assignment(consumer: AIOKafkaConsumer, within_s: float = 10.0) -> set[TopicPartition]:
    """The partitions assigned once the topic's metadata has arrived (empty if it never does)."""
    for _ in range(int(within_s / 0.1)):
        assigned: set[TopicPartition] = consumer.assignment()
        if assigned:
            return assigned
        await asyncio.sleep(0.1)
    return set()
