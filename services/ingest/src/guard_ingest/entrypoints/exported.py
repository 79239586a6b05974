"""Kafka subscriber (L2) for export results: the ``exported`` timeline entries (docs/exports.md).

Its own consumer group (``<group_id>.exports``), so a slow export-result batch never stalls the
incident consumers; NACK_ON_ERROR like the others: a batch whose transaction failed is delivered
again (the entries are idempotent by the result's event id).
"""

from __future__ import annotations

from typing import Protocol

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from guard_runtime.batches import handle_batch, keep_raw

from guard_ingest.config import Settings
from guard_ingest.entrypoints.consumers import Records


class ResultSink(Protocol):
    """What the subscriber needs from the service (main wires in ``IngestService``)."""

    async def apply_export_results(self, records: Records) -> None: ...


def register_exported(broker: KafkaBroker, service: ResultSink, settings: Settings) -> None:
    """Same subscriber options and error handling as ``consumers.register``."""

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
        await handle_batch(service.apply_export_results, message, settings.retry_backoff_s)
