"""Publishing incident commands to Kafka (key = tenant_id, so a tenant's commands stay ordered).

The gateway must serve reads while Kafka is away, so the producer is (re)started on demand and a
failure surfaces as :class:`PublishFailed` on the command, not as a failed startup.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

log = logging.getLogger(__name__)


class PublishFailed(Exception):
    """The broker did not take the command."""


class CommandPublisher:
    def __init__(self, bootstrap_servers: str, topic: str) -> None:
        self._bootstrap = bootstrap_servers
        self._topic = topic
        self._producer: AIOKafkaProducer | None = None
        self._starting = asyncio.Lock()

    async def start(self) -> None:
        try:
            await self._ready()
        except PublishFailed as exc:
            log.warning(
                "Kafka unavailable at startup; commands will retry", extra={"error": str(exc)}
            )

    async def _ready(self) -> AIOKafkaProducer:
        async with self._starting:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self._bootstrap, acks="all", enable_idempotence=True
                )
                try:
                    await producer.start()
                except KafkaError as exc:
                    await producer.stop()
                    raise PublishFailed(f"cannot reach Kafka: {exc}") from exc
                self._producer = producer
            return self._producer

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()

    async def publish(self, key: str, value: bytes) -> None:
        """Returns once the broker has acknowledged the record."""
        producer = await self._ready()
        try:
            await producer.send_and_wait(self._topic, value=value, key=key.encode())
        except KafkaError as exc:
            raise PublishFailed(f"Kafka did not take the command: {exc}") from exc
