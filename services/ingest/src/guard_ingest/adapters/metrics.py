"""Prometheus metrics of the ingest service (served by guard_runtime's /metrics)."""

from __future__ import annotations

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
LAG = Gauge(
    "guard_ingest_consumer_lag",
    "Records beyond the consumer group's committed offset (broker end offset - committed)",
    ["topic", "partition"],
)
LAG_TOTAL = Gauge("guard_ingest_consumer_lag_total", "Sum of guard_ingest_consumer_lag")
STREAM_TIME = Gauge(
    "guard_ingest_stream_time_seconds",
    "Event-time watermark: latest occurred_at applied from the partition (unix seconds)",
    ["topic", "partition"],
)
AUTO_RESOLVED = Counter("guard_ingest_auto_resolved", "Incidents resolved by the idle sweep")
OUTBOX_PUBLISHED = Counter("guard_ingest_outbox_published", "Incident changes published")
