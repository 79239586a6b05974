"""Kafka subscriber (L2) for export results: the ``exported`` timeline entries (docs/exports.md).

Its own consumer group (``<group_id>.exports``), so a slow export-result batch never stalls the
incident consumers; NACK_ON_ERROR like the others: a batch whose transaction failed is delivered
again (the entries are idempotent by the result's event id).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from guard_runtime.batches import handle_batch, keep_raw

from guard_ingest.config import Settings
from guard_ingest.entrypoints.consumers import Records


class ResultSink(Protocol):
    """``adapters.exported.ExportedRecorder``, built by the composition root once started."""

    async def apply(self, records: Records) -> object: ...


def register_exported(
    broker: KafkaBroker, recorder: Callable[[], ResultSink], settings: Settings
) -> None:
    """``recorder`` is called on the first batch (the service's pool exists by then). Same
    subscriber options and error handling as ``consumers.register``."""
    made: list[ResultSink] = []

    async def apply(records: Records) -> None:
        if not made:
            made.append(recorder())
        await made[0].apply(records)

    @broker.subscriber(
        settings.topics().export_results,
        group_id=f"{settings.group_id}.exports",
        batch=True,
        max_records=settings.incident_max_records,
        batch_timeout_ms=settings.batch_timeout_ms,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
        decoder=keep_raw,
        max_partition_fetch_bytes=settings.max_partition_fetch_bytes,
    )
    async def on_export_results(body: list[bytes], message: KafkaMessage) -> None:
        await handle_batch(apply, message, settings.retry_backoff_s)
