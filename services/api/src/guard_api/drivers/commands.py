"""Publishing incident commands to Kafka (key = tenant_id, so a tenant's commands stay ordered)."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer


class CommandPublisher:
    def __init__(self, bootstrap_servers: str, topic: str) -> None:
        self._topic = topic
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers, acks="all", enable_idempotence=True
        )

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def publish(self, key: str, value: bytes) -> None:
        """Returns once the broker has acknowledged the record."""
        await self._producer.send_and_wait(self._topic, value=value, key=key.encode())
