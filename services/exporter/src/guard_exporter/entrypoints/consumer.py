"""L2: the export-request subscriber. Thin: hand the raw record to the processor.

Ack policy NACK_ON_ERROR with auto-commit off: the offset is committed after the handler returns
(job finished or message dead-lettered); when it raises, FastStream seeks back and the request is
delivered again — a crash mid-render loses nothing.
"""

from __future__ import annotations

from typing import Any, Protocol

from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage


class RecordHandler(Protocol):
    """The export use case (``adapters.processing.ExportProcessor``), given by the composition root."""

    async def handle(self, record: ConsumerRecord[Any, Any]) -> None: ...


def register_export_consumer(
    broker: KafkaBroker, *, topic: str, group_id: str, processor: RecordHandler
) -> None:
    @broker.subscriber(
        topic,
        group_id=group_id,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
        # Renders take seconds; one record per poll keeps the commit exactly after each job.
        max_records=1,
    )
    async def on_export_requested(message: KafkaMessage) -> None:
        await processor.handle(message.raw_message)
