"""API gateway settings: env prefix ``GUARD_API_``; ``DATABASE_URL`` / ``KAFKA_BOOTSTRAP_SERVERS``
are honoured un-prefixed too."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from guard_contracts.topics import DEFAULT_TOPICS, Topics

#: The development secret (also minted by ``python -m guard_devtools.token``); refused elsewhere.
DEV_JWT_SECRET = "change-me-local-demo-secret-0123456789"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PREFLIGHT = "preflight"
    PRODUCTION = "production"

    @property
    def serves_preflight_data(self) -> bool:
        """Evidence (O4) and proof (O5) answer only before production (SPEC §5)."""
        return self is not Environment.PRODUCTION


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GUARD_API_", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    database_url: str = Field(
        default="postgresql+asyncpg://guard@127.0.0.1:5432/guard",
        validation_alias=AliasChoices("GUARD_API_DATABASE_URL", "DATABASE_URL", "database_url"),
    )
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices(
            "GUARD_API_KAFKA_BOOTSTRAP_SERVERS",
            "KAFKA_BOOTSTRAP_SERVERS",
            "kafka_bootstrap_servers",
        ),
    )
    db_pool_size: int = Field(default=20, ge=1, le=200)
    #: Test each pooled connection before use (one extra round trip per request).
    db_pool_pre_ping: bool = False

    #: HS256 shared secret; ignored when an RS256 public key or JWKS file is configured.
    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    jwt_public_key_file: Path | None = None
    jwt_jwks_file: Path | None = None
    jwt_audience: str = "console"
    #: Clock skew tolerated on ``exp`` (seconds).
    jwt_leeway_seconds: int = Field(default=0, ge=0, le=300)

    topic_incident_commands: str = DEFAULT_TOPICS.incident_commands
    topic_export_requests: str = DEFAULT_TOPICS.export_requests
    topic_notification_commands: str = DEFAULT_TOPICS.notification_commands

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _no_default_secret_outside_development(self) -> Settings:
        uses_secret = self.jwt_public_key_file is None and self.jwt_jwks_file is None
        default = self.jwt_secret.get_secret_value() == DEV_JWT_SECRET
        if uses_secret and default and self.environment is not Environment.DEVELOPMENT:
            raise ValueError(
                "GUARD_API_JWT_SECRET must be set (or an RS256 key configured) "
                f"outside development; environment is {self.environment.value}"
            )
        if self.jwt_public_key_file is not None and self.jwt_jwks_file is not None:
            raise ValueError(
                "configure either GUARD_API_JWT_PUBLIC_KEY_FILE or _JWKS_FILE, not both"
            )
        return self

    @property
    def topics(self) -> Topics:
        return Topics(
            incident_commands=self.topic_incident_commands,
            export_requests=self.topic_export_requests,
        )
