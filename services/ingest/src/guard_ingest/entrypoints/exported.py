"""Kafka subscriber (L2) for export results: the ``exported`` timeline entries (docs/exports.md).

Its own consumer group (``<group_id>.exports``), so a slow export-result batch never stalls the
incident consumers; NACK_ON_ERROR like the others: a batch whose transaction failed is delivered
again (the entries are idempotent by the result's event id).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage

from guard_ingest.config import IngestSettings

log = logging.getLogger(__name__)


class ResultSink(Protocol):
    """``adapters.exported.ExportedRecorder``, built by the composition root once started."""

    async def apply(self, records: Sequence[ConsumerRecord[Any, Any]]) -> int: ...


def register_exported(
    broker: KafkaBroker, recorder: Callable[[], ResultSink], settings: IngestSettings
) -> None:
    """``recorder`` is called on the first batch (the service's pool exists by then)."""
    made: list[ResultSink] = []

    async def apply(records: Sequence[ConsumerRecord[Any, Any]]) -> None:
        if not made:
            made.append(recorder())
        await made[0].apply(records)

    @broker.subscriber(
        settings.topic_export_results,
        group_id=f"{settings.group_id}.exports",
        batch=True,
        max_records=settings.incident_max_records,
        batch_timeout_ms=settings.batch_timeout_ms,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
        decoder=keep_raw,
    )
    async def on_export_results(body: list[bytes], message: KafkaMessage) -> None:
        raw = message.raw_message
        try:
            await apply(raw if isinstance(raw, tuple) else (raw,))
        except Exception:
            log.exception("export results batch failed; it will be re-delivered")
            await asyncio.sleep(settings.retry_backoff_s)
            raise


async def keep_raw(message: StreamMessage[Any]) -> Any:
    """The recorder decodes each record itself."""
    return message.body
