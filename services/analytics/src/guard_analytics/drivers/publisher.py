"""Kafka publisher (L6) for anomalies and snapshot announcements, keyed by tenant."""

from __future__ import annotations

from faststream.kafka import KafkaBroker


class Publisher:
    def __init__(self, broker: KafkaBroker) -> None:
        self._broker = broker

    async def send(self, topic: str, key: str, value: bytes) -> None:
        await self._broker.publish(
            value, topic, key=key.encode(), headers={"content-type": "application/json"}
        )
