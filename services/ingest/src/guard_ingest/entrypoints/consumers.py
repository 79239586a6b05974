"""Kafka batch subscribers (L2): hand the raw records to the ingest service, then ack.

Ack policy NACK_ON_ERROR: offsets are committed only after the handler returned, i.e. after the
batch's transaction committed and its dead letters were acknowledged by the broker; on an error
the consumer rewinds to the batch's first offsets and the batch is delivered again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from guard_runtime.batches import handle_batch, keep_raw

from guard_contracts.topics import Topics
from guard_ingest.config import Settings

Records = Sequence[ConsumerRecord[Any, Any]]


class BatchSink(Protocol):
    """What the subscribers need from the service (main wires in ``IngestService``)."""

    topics: Topics

    async def apply_cost_batch(self, records: Records) -> None: ...

    async def apply_incident_batch(self, records: Records) -> None: ...


def register(broker: KafkaBroker, service: BatchSink, settings: Settings) -> None:
    """Cost events and incident events are consumed by separate groups (``<group_id>.cost`` and
    ``<group_id>.incidents``) so a rebalance of one never stalls the other."""
    common: dict[str, Any] = {
        "batch": True,
        "batch_timeout_ms": settings.batch_timeout_ms,
        "ack_policy": AckPolicy.NACK_ON_ERROR,
        "auto_offset_reset": "earliest",
        "decoder": keep_raw,
        "max_partition_fetch_bytes": settings.max_partition_fetch_bytes,
    }
    topics = service.topics

    async def on_cost_events(body: list[bytes], message: KafkaMessage) -> None:
        await handle_batch(service.apply_cost_batch, message, settings.retry_backoff_s)

    # Several consumers of one group in this process: while one waits for Postgres, another
    # decodes its batch (each owns different partitions, so per-partition order holds).
    for _ in range(settings.cost_consumers):
        broker.subscriber(
            topics.cost_events,
            group_id=f"{settings.group_id}.cost",
            max_records=settings.cost_max_records,
            **common,
        )(on_cost_events)

    # One subscriber for every topic that can touch an incident: with equal partition counts the
    # range assignor gives a tenant's partitions of all four topics to the same consumer.
    @broker.subscriber(  # type: ignore[untyped-decorator]
        topics.killswitch_events,
        topics.cost_anomalies,
        topics.incident_commands,
        topics.budgets,
        group_id=f"{settings.group_id}.incidents",
        max_records=settings.incident_max_records,
        **common,
    )
    async def on_incident_events(body: list[bytes], message: KafkaMessage) -> None:
        await handle_batch(service.apply_incident_batch, message, settings.retry_backoff_s)
