"""Analytics settings: env prefix ``GUARD_ANALYTICS_``; un-prefixed ``DATABASE_URL`` and
``KAFKA_BOOTSTRAP_SERVERS`` are honoured too (guard_runtime.settings)."""

from __future__ import annotations

from datetime import UTC, datetime

from guard_runtime.settings import InfraSettings
from pydantic import AwareDatetime, Field, model_validator
from pydantic_settings import SettingsConfigDict

from guard_contracts.topics import DEFAULT_TOPICS


class Settings(InfraSettings):
    model_config = SettingsConfigDict(env_prefix="GUARD_ANALYTICS_", extra="ignore")

    ops_port: int = 8082
    client_id: str = "guard-analytics"
    #: Seconds between cost rollup cycles; the incremental lag is about two cycles.
    cost_interval_s: float = Field(default=0.25, gt=0, le=60)
    #: At most this many cost_events seqs per rollup transaction (bounds a backfill's steps).
    cost_chunk_seqs: int = Field(default=500_000, ge=1_000, le=100_000_000)
    #: work_mem of a rollup transaction, so its aggregation stays in memory.
    rollup_work_mem: str = Field(default="128MB", pattern=r"^\d+(kB|MB|GB)$")
    #: Seconds between whole-table incident rollup reconciliations (also run at start-up);
    #: between them the buckets named on the incident-change topic are recomputed as they come.
    incident_interval_s: float = Field(default=900.0, gt=0, le=86_400)
    incident_group_id: str = "guard-analytics-incidents"
    batch_timeout_ms: int = Field(default=200, ge=1, le=60_000)
    batch_max_records: int = Field(default=2000, ge=1, le=100_000)
    retry_backoff_s: float = Field(default=1.0, ge=0, le=60)
    #: Seconds between anomaly detector runs (budgets every run, spike/drift on complete days).
    anomaly_interval_s: float = Field(default=30.0, gt=0, le=3600)
    #: Spike and drift judge yesterday this long after midnight, so its late events are in.
    daily_detection_delay_s: float = Field(default=600.0, ge=0, le=43_200)
    #: Seconds between maintenance runs (retention of the hourly cost rollups).
    maintenance_interval_s: float = Field(default=3600.0, gt=0, le=86_400)
    #: Days of hourly cost rollups to keep (the daily ones stay); unset keeps them all. Answers
    #: read hours only for today, the last 7 days and a window's first partial day.
    hourly_rollups_retention_days: int | None = Field(default=None, ge=32)
    # Settings that moved to the service that writes the table they prune
    # (docs/adr/0005-one-writer-per-table.md): set here, they stop the service with the new name.
    cost_events_retention_days: int | None = None
    partitions_ahead_days: int | None = None
    export_retention_days: int | None = None
    #: Fixed "now" for reproducible runs; unset = the wall clock.
    now: AwareDatetime | None = None
    db_pool_size: int = Field(default=4, ge=1, le=50)
    topic_incident_changes: str = DEFAULT_TOPICS.incident_changes
    topic_cost_anomalies: str = DEFAULT_TOPICS.cost_anomalies
    topic_analytics_results: str = DEFAULT_TOPICS.analytics_results

    @model_validator(mode="after")
    def _moved_settings(self) -> Settings:
        moved = {
            "cost_events_retention_days": "GUARD_INGEST_COST_EVENTS_RETENTION_DAYS",
            "partitions_ahead_days": "GUARD_INGEST_PARTITIONS_AHEAD_DAYS",
            "export_retention_days": "GUARD_EXPORTER_RETENTION_DAYS",
        }
        for field, new_name in moved.items():
            if getattr(self, field) is not None:
                raise ValueError(
                    f"GUARD_ANALYTICS_{field.upper()} has moved to {new_name}: the service that "
                    "writes a table is the one that prunes it; set that instead"
                )
        return self

    def clock(self) -> datetime:
        return self.now.astimezone(UTC) if self.now is not None else datetime.now(UTC)
