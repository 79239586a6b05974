"""Prometheus metrics of the ingest service (served by guard_runtime's /metrics)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from prometheus_client import Counter, Gauge, Histogram

CONSUMED = Counter("guard_ingest_consumed", "Records consumed", ["topic"])
APPLIED = Counter("guard_ingest_applied", "Events applied to the database", ["event_type"])
DUPLICATES = Counter("guard_ingest_duplicates", "Duplicate event_ids skipped", ["event_type"])
NOOPS = Counter(
    "guard_ingest_noops", "Repeated commands or releases with no effect", ["event_type"]
)
DEAD_LETTERED = Counter("guard_ingest_dead_lettered", "Records sent to the DLQ", ["topic", "code"])
BATCH_SECONDS = Histogram(
    "guard_ingest_batch_seconds",
    "Time to apply one batch, decode to commit",
    ["subscriber"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
BATCH_SIZE = Histogram(
    "guard_ingest_batch_records", "Records per batch", ["subscriber"],
    buckets=(1, 10, 50, 100, 500, 1000, 2500, 5000, 10000),
)  # fmt: skip
LAG = Gauge("guard_ingest_consumer_lag", "High watermark minus next offset", ["topic", "partition"])
AUTO_RESOLVED = Counter("guard_ingest_auto_resolved", "Incidents resolved by the idle sweep")
OUTBOX_PUBLISHED = Counter("guard_ingest_outbox_published", "Incident changes published")


def observe_lag(
    consumer: AIOKafkaConsumer | None, records: Sequence[ConsumerRecord[Any, Any]]
) -> None:
    """Lag per partition seen in this batch, from the consumer's fetched high watermarks."""
    if consumer is None:
        return
    last: dict[TopicPartition, int] = {}
    for record in records:
        tp = TopicPartition(record.topic, record.partition)
        last[tp] = max(last.get(tp, -1), record.offset)
    assigned = consumer.assignment()
    for tp, offset in last.items():
        if tp not in assigned:  # revoked by a rebalance while the batch was applied
            continue
        highwater = consumer.highwater(tp)
        if highwater is not None:
            LAG.labels(tp.topic, str(tp.partition)).set(max(0, highwater - offset - 1))
