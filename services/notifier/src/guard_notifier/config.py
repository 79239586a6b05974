"""Notifier settings: env prefix ``GUARD_NOTIFIER_``; un-prefixed ``DATABASE_URL`` and
``KAFKA_BOOTSTRAP_SERVERS`` are honoured too (guard_runtime.settings)."""

from __future__ import annotations

from datetime import UTC, datetime

from cryptography.fernet import Fernet
from guard_runtime.settings import Environment, InfraSettings
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from guard_contracts.topics import DEFAULT_TOPICS

#: The key that seals channel secrets in development when none is set. It is public (it is in
#: this file), so production refuses it: see ``secret_keys``.
DEV_SECRET_KEY = "Z3VhcmQtbm90aWZpZXItZGV2ZWxvcG1lbnQta2V5ISE="


class Settings(InfraSettings):
    model_config = SettingsConfigDict(env_prefix="GUARD_NOTIFIER_", extra="ignore")

    # ``environment`` comes from InfraSettings (production unless told otherwise): outside
    # development channel URLs must be https and resolve to public addresses only; development
    # also allows loopback (a local receiver).
    ops_port: int = 8084
    client_id: str = "guard-notifier"
    group_id: str = "guard-notifier"
    topic_incident_changes: str = DEFAULT_TOPICS.incident_changes
    topic_notification_commands: str = DEFAULT_TOPICS.notification_commands
    topic_dlq: str = DEFAULT_TOPICS.dlq
    batch_timeout_ms: int = Field(default=100, ge=1, le=60_000)
    batch_max_records: int = Field(default=1000, ge=1, le=100_000)
    #: Seconds before a failed batch (e.g. database down) is re-delivered.
    retry_backoff_s: float = Field(default=1.0, ge=0, le=60)
    graceful_timeout_s: float = Field(default=15.0, ge=0, le=300)
    db_pool_size: int = Field(default=16, ge=2, le=100)

    #: Base of the console links in messages (``<base>/console/#/incidents/<id>``).
    console_base_url: str = "http://127.0.0.1:8080"

    # -- sending --------------------------------------------------------------------------------
    #: Seconds between looks at the ledger when nothing nudged the sender.
    poll_interval_s: float = Field(default=0.5, gt=0, le=60)
    #: Requests in flight at once, over all channels and per channel.
    max_in_flight: int = Field(default=64, ge=1, le=10_000)
    per_channel_concurrency: int = Field(default=4, ge=1, le=256)
    connect_timeout_s: float = Field(default=3.0, gt=0, le=60)
    request_timeout_s: float = Field(default=10.0, gt=0, le=120)
    #: Attempts per message (the first included) before it is marked failed.
    max_attempts: int = Field(default=8, ge=1, le=50)
    retry_initial_s: float = Field(default=1.0, ge=0, le=3600)
    retry_max_s: float = Field(default=300.0, ge=0, le=86_400)
    retry_jitter_s: float = Field(default=1.0, ge=0, le=3600)
    #: A Retry-After longer than this is cut to it.
    retry_after_max_s: float = Field(default=3600.0, ge=0, le=86_400)
    #: A channel whose attempts have all failed for this long is disabled.
    disable_after_s: float = Field(default=86_400.0, gt=0)

    # -- flood control --------------------------------------------------------------------------
    #: Messages a channel receives per window; beyond that, one digest when the window closes.
    flood_limit: int = Field(default=30, ge=1, le=100_000)
    flood_window_s: float = Field(default=60.0, gt=0, le=86_400)
    #: The digest leaves this long after its window closed (lets the last batch commit).
    digest_grace_s: float = Field(default=2.0, ge=0, le=600)

    # -- secrets at rest ------------------------------------------------------------------------
    #: Fernet keys, comma-separated, newest first, that seal the channels' signing secrets in the
    #: database (docs/notifications.md, "The signing secret"): the first seals, every one opens,
    #: so a key is rotated by putting the new one first and dropping the old one once the notifier
    #: has re-sealed every channel (it does at start). Required outside development.
    secret_keys: SecretStr | None = None

    @field_validator("secret_keys", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # docker-compose passes an unset variable on as "" (``${VAR:-}``).
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _secret_keys_outside_development(self) -> Settings:
        if self.secret_keys is None:
            if self.environment is not Environment.DEVELOPMENT:
                raise ValueError(
                    f"GUARD_NOTIFIER_SECRET_KEYS is required in {self.environment} "
                    "(GUARD_NOTIFIER_ENVIRONMENT): set it to one or more Fernet keys, "
                    "comma-separated, newest first (make one with `python -c 'from "
                    "cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`); "
                    "the public development key is used only with "
                    "GUARD_NOTIFIER_ENVIRONMENT=development"
                )
            return self
        keys = self.secret_key_list()
        if not keys:
            raise ValueError("GUARD_NOTIFIER_SECRET_KEYS: give at least one Fernet key")
        for position, key in enumerate(keys, start=1):
            try:
                Fernet(key)
            except ValueError:
                raise ValueError(
                    f"GUARD_NOTIFIER_SECRET_KEYS: key {position} is not a Fernet key "
                    "(url-safe base64 of 32 bytes, 44 characters)"
                ) from None
        if self.environment is not Environment.DEVELOPMENT and DEV_SECRET_KEY in keys:
            raise ValueError(
                "GUARD_NOTIFIER_SECRET_KEYS: the public development key is refused in "
                f"{self.environment}"
            )
        return self

    def secret_key_list(self) -> list[str]:
        """The sealing keys, newest first (the development key when none is set)."""
        if self.secret_keys is None:
            return [DEV_SECRET_KEY]
        raw = self.secret_keys.get_secret_value()
        return [key.strip() for key in raw.split(",") if key.strip()]

    @property
    def development(self) -> bool:
        return self.environment is Environment.DEVELOPMENT

    def clock(self) -> datetime:
        return datetime.now(UTC)
