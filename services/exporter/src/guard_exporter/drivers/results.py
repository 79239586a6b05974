"""Publishes ``export.result`` events (docs/architecture.md#services: the exporter produces the export-result topic)."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from guard_contracts.outputs import ExportResult
from guard_contracts.wire import encode


class ResultPublisher:
    def __init__(self, broker: KafkaBroker, topic: str) -> None:
        self._broker = broker
        self._topic = topic

    async def publish(self, result: ExportResult) -> None:
        await self._broker.publish(
            encode(result),
            topic=self._topic,
            key=result.tenant_id.encode(),
            headers={"content-type": "application/json", "event_type": result.event_type},
        )
