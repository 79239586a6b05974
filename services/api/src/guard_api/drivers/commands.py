"""Publishing to Kafka (key = tenant_id, so a tenant's commands and export requests stay ordered).

The gateway must serve reads while Kafka is away, so the producer is (re)started on demand and a
failure, or no acknowledgement within ``timeout_s``, surfaces as :class:`PublishFailed` on the
request (answered 503), not as a failed startup or a request hanging for the client's lifetime.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

log = logging.getLogger(__name__)


class PublishFailed(Exception):
    """The broker did not take the command."""


class KafkaPublisher:
    def __init__(
        self, bootstrap_servers: str, topic: str, *, timeout_s: float = 5.0, client_id: str = ""
    ) -> None:
        self._bootstrap = bootstrap_servers
        self._topic = topic
        self._timeout_s = timeout_s
        self._client_id = client_id or "guard-api"
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
                    bootstrap_servers=self._bootstrap,
                    acks="all",
                    enable_idempotence=True,
                    client_id=self._client_id,
                    request_timeout_ms=int(self._timeout_s * 1000),
                )
                try:
                    async with asyncio.timeout(self._timeout_s):
                        await producer.start()
                except (KafkaError, TimeoutError, OSError) as exc:
                    await producer.stop()
                    raise PublishFailed(f"cannot reach Kafka: {exc}") from exc
                self._producer = producer
            return self._producer

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()

    async def publish(self, key: str, value: bytes, *, topic: str | None = None) -> None:
        """Returns once the broker has acknowledged the record. ``topic`` defaults to the
        publisher's own; one producer serves every command topic of the gateway."""
        producer = await self._ready()
        try:
            async with asyncio.timeout(self._timeout_s):
                await producer.send_and_wait(topic or self._topic, value=value, key=key.encode())
        except (KafkaError, TimeoutError) as exc:
            detail = str(exc) or f"no acknowledgement within {self._timeout_s:g}s"
            raise PublishFailed(f"Kafka did not take the record: {detail}") from exc

    async def ready(self) -> bool:
        """True when the producer is connected (started, or startable now)."""
        try:
            await self._ready()
        except PublishFailed:
            return False
        return True


#: Incident and notification-channel commands go through the gateway's one command publisher
#: (export requests have their own, see adapters/exports.py).
CommandPublisher = KafkaPublisher
