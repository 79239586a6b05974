"""Kafka batch subscriber (L2): incident changes and channel commands, handed raw to the service.

One subscriber (one consumer group) reads both topics: both are keyed by tenant, so with equal
partition counts a tenant's commands and changes are read by the same consumer. Ack policy
NACK_ON_ERROR: offsets are committed only after the batch's transaction committed and its dead
letters were acknowledged; on an error the batch comes again (the ledger ignores repeats).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, Protocol

from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage

from guard_notifier.config import Settings

log = logging.getLogger(__name__)


class BatchSink(Protocol):
    async def apply_batch(self, records: Sequence[ConsumerRecord[Any, Any]]) -> object: ...


async def keep_raw(message: StreamMessage[Any]) -> Any:
    """Skip FastStream's decoding: the adapter validates (and dead-letters) each record."""
    return message.body


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
        raw = message.raw_message
        records = raw if isinstance(raw, tuple) else (raw,)
        try:
            await sink.apply_batch(records)
        except Exception:
            log.exception("batch failed; it will be re-delivered", extra={"n": len(records)})
            await asyncio.sleep(settings.retry_backoff_s)  # don't spin against a database down
            raise
