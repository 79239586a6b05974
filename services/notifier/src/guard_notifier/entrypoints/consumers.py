"""Kafka batch subscriber (L2): incident changes and channel commands, handed raw to the service.

One subscriber (one consumer group) reads both topics: both are keyed by tenant, so with equal
partition counts a tenant's commands and changes are read by the same consumer. Ack policy
NACK_ON_ERROR: offsets are committed only after the batch's transaction committed and its dead
letters were acknowledged; on an error the batch comes again (the ledger ignores repeats).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from guard_runtime.batches import handle_batch, keep_raw

from guard_notifier.config import Settings


class BatchSink(Protocol):
    async def apply_batch(self, records: Sequence[ConsumerRecord[Any, Any]]) -> object: ...


def register(broker: KafkaBroker, sink: BatchSink, settings: Settings) -> None:
    @broker.subscriber(
        settings.topic_incident_changes,
        settings.topic_notification_commands,
        group_id=settings.group_id,
        batch=True,
        batch_timeout_ms=settings.batch_timeout_ms,
        max_records=settings.batch_max_records,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
        decoder=keep_raw,
    )
    async def on_batch(body: list[bytes], message: KafkaMessage) -> None:
        await handle_batch(sink.apply_batch, message, settings.retry_backoff_s)
