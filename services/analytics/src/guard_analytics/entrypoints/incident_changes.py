"""Kafka batch subscriber (L2) for the incident-change topic: hands the raw records to the service.

Ack policy NACK_ON_ERROR: offsets are committed only after the handler returned, i.e. after the
transaction that recomputed the touched buckets committed; on an error the batch comes again
(recomputing a bucket from the incidents table is idempotent).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from guard_runtime.batches import Records, handle_batch, keep_raw

from guard_analytics.config import Settings


class ChangeSink(Protocol):
    async def apply_incident_changes(self, payloads: Sequence[bytes]) -> object: ...


def register(broker: KafkaBroker, sink: ChangeSink, settings: Settings) -> None:
    async def _apply(records: Records) -> object:
        return await sink.apply_incident_changes([r.value for r in records if r.value is not None])

    @broker.subscriber(
        settings.topic_incident_changes,
        group_id=settings.incident_group_id,
        batch=True,
        batch_timeout_ms=settings.batch_timeout_ms,
        max_records=settings.batch_max_records,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
        decoder=keep_raw,
    )
    async def on_incident_changes(body: list[bytes], message: KafkaMessage) -> None:
        await handle_batch(_apply, message, settings.retry_backoff_s)
