"""Ingest settings: env prefix GUARD_INGEST_, plus the shared KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL."""

from __future__ import annotations

from guard_runtime.gc_tuning import DEFAULT_GEN0_THRESHOLD, Gen0Threshold
from guard_runtime.settings import InfraSettings
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from guard_contracts.topics import Topics

_DEFAULT = Topics()


class Settings(InfraSettings):
    model_config = SettingsConfigDict(env_prefix="GUARD_INGEST_", extra="ignore")

    group_id: str = "guard-ingest"
    client_id: str = "guard-ingest"
    topic_cost_events: str = _DEFAULT.cost_events
    topic_killswitch_events: str = _DEFAULT.killswitch_events
    topic_budgets: str = _DEFAULT.budgets
    topic_incident_commands: str = _DEFAULT.incident_commands
    topic_cost_anomalies: str = _DEFAULT.cost_anomalies
    topic_incident_changes: str = _DEFAULT.incident_changes
    topic_dlq: str = _DEFAULT.dlq
    #: Export results: ingest appends the ``exported`` timeline entry (docs/exports.md).
    topic_export_results: str = _DEFAULT.export_results

    #: Records per batch at most: cost events are bulk-copied, incident events go through the
    #: engine. A consumer that is caught up gets small batches (whatever arrived within
    #: batch_timeout_ms); one that lags gets full ones, so fewer round trips per event.
    cost_max_records: int = 10_000
    #: Cost-topic consumers in this process (up to one per partition is useful).
    cost_consumers: int = 2
    max_partition_fetch_bytes: int = 4 * 1024 * 1024
    incident_max_records: int = 2000
    #: Young-generation collections every this many allocations (guard_runtime.gc_tuning). A
    #: batch keeps ~10 objects per event alive until it is written; at Python's 700 the
    #: collector kept re-scanning them (bench/ingest/RESULTS.md, fourth pass).
    gc_gen0_threshold: Gen0Threshold = DEFAULT_GEN0_THRESHOLD
    batch_timeout_ms: int = 200
    #: Seconds FastStream waits for the batch in hand on shutdown.
    graceful_timeout_s: float = 30.0
    #: Seconds to wait before a failed batch (e.g. database down) is re-delivered.
    retry_backoff_s: float = 1.0
    #: After this many failures of one batch while the database answers, apply its records one
    #: by one and dead-letter (``processing_failed``) the ones that still fail.
    isolate_after_failures: int = 3

    max_message_bytes: int = 256 * 1024
    clock_skew_s: float = 300.0

    group_window_s: float = 300.0
    idle_timeout_s: float = 900.0
    anomaly_idle_timeout_s: float = 86_400.0
    flood_cap_per_hour: int = 20

    #: Event time: an event more than this behind its tenant's stream time (or, once ingest has
    #: caught up, behind the wall clock) is late and may be treated as new; within it the result
    #: equals in-time processing. The idle sweep waits this long past a deadline
    #: (docs/adr/0001-event-time-idle-sweep.md).
    allowed_lateness_s: float = 3600.0
    auto_resolve_interval_s: float = 30.0
    #: How often consumer lag is read from the broker (/metrics, /readyz, the idle sweep).
    lag_interval_s: float = 5.0
    #: /readyz answers "catching up" (503) while the records behind exceed this.
    ready_max_lag: int = 10_000
    auto_resolve_batch: int = 500
    outbox_interval_s: float = 1.0
    outbox_batch: int = 1000
    db_pool_size: int = 6

    # -- growth (docs/operations-scaling.md#growth-partitions-and-retention) --------------------
    #: Seconds between runs of the partition job (months ahead, retention).
    maintenance_interval_s: float = Field(default=3600.0, gt=0, le=86_400)
    #: ``cost_events`` month partitions are kept created this many days ahead.
    partitions_ahead_days: int = Field(default=93, ge=31, le=3660)
    #: Days of raw cost events to keep (whole month partitions, and only once the cost rollups
    #: hold them); unset keeps them all. Answers come from rollups; exports read a run's raw
    #: events. At least 31, above the topics' retention, so no redelivery reaches back further.
    cost_events_retention_days: int | None = Field(default=None, ge=31)

    def topics(self) -> Topics:
        return Topics(
            cost_events=self.topic_cost_events,
            killswitch_events=self.topic_killswitch_events,
            budgets=self.topic_budgets,
            incident_commands=self.topic_incident_commands,
            cost_anomalies=self.topic_cost_anomalies,
            incident_changes=self.topic_incident_changes,
            export_results=self.topic_export_results,
            dlq=self.topic_dlq,
        )
