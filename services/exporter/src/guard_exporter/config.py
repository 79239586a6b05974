"""Settings of the exporter service; environment prefix ``GUARD_EXPORTER_``.

``KAFKA_BOOTSTRAP_SERVERS`` and ``DATABASE_URL`` are honoured un-prefixed too (guard_runtime).
"""

from __future__ import annotations

from pathlib import Path

from guard_runtime.settings import InfraSettings
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from guard_contracts.topics import DEFAULT_TOPICS, Topics
from guard_contracts.wire import DEFAULT_MAX_MESSAGE_BYTES


class Settings(InfraSettings):
    model_config = SettingsConfigDict(env_prefix="GUARD_EXPORTER_", extra="ignore")

    # ``environment`` comes from InfraSettings: production unless told otherwise.
    group_id: str = "guard-exporter"
    topic_export_requests: str = DEFAULT_TOPICS.export_requests
    topic_export_results: str = DEFAULT_TOPICS.export_results
    topic_dlq: str = DEFAULT_TOPICS.dlq
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    #: Ed25519 private key: PKCS#8 PEM, or the base64 of the 32-byte raw seed. Outside development
    #: one of ``signing_key`` / ``signing_key_file`` is required.
    signing_key: SecretStr | None = None
    signing_key_file: Path | None = None
    #: Store artifacts as files here instead of in ``export_jobs.artifact``.
    artifact_dir: Path | None = None
    #: A job that crashed the exporter this many times is marked failed instead of re-rendered.
    max_attempts: int = Field(default=3, ge=1)
    #: Pause before a message whose processing hit an infrastructure error is redelivered.
    retry_backoff_seconds: float = Field(default=2.0, ge=0)
    #: Upper bound on billed steps read into one export, to bound memory.
    max_run_steps: int = Field(default=200_000, ge=1)
    #: On SIGTERM, how long to let the render in hand finish before stopping (it is redelivered
    #: anyway if it does not).
    graceful_timeout_seconds: float = Field(default=30.0, gt=0)
    ops_port: int = 8083
    #: Days to keep finished (completed or failed) export jobs and their artifacts, in
    #: PostgreSQL or in ``artifact_dir``; unset keeps them all. An expired export id then
    #: answers like an unknown one (docs/operations-scaling.md#growth-partitions-and-retention).
    retention_days: int | None = Field(default=None, ge=1)
    #: Seconds between retention runs.
    retention_interval_seconds: float = Field(default=3600.0, gt=0, le=86_400)

    @model_validator(mode="after")
    def _key_outside_development(self) -> Settings:
        if self.environment != "development" and not (self.signing_key or self.signing_key_file):
            raise ValueError(
                "GUARD_EXPORTER_SIGNING_KEY or GUARD_EXPORTER_SIGNING_KEY_FILE is required "
                f"in {self.environment} (GUARD_EXPORTER_ENVIRONMENT): set it to an Ed25519 "
                "private key (PKCS#8 PEM, or base64 of the 32-byte seed); the public development "
                "key is accepted only with GUARD_EXPORTER_ENVIRONMENT=development"
            )
        return self

    def topics(self) -> Topics:
        return Topics(
            export_requests=self.topic_export_requests,
            export_results=self.topic_export_results,
            dlq=self.topic_dlq,
        )
