"""API gateway settings: env prefix ``GUARD_API_``; ``DATABASE_URL`` / ``KAFKA_BOOTSTRAP_SERVERS``
are honoured un-prefixed too."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from guard_runtime.gc_tuning import DEFAULT_GEN0_THRESHOLD, Gen0Threshold
from guard_runtime.settings import Environment as Environment
from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from guard_contracts.topics import DEFAULT_TOPICS, Topics

#: The development secret (also minted by ``python -m guard_devtools.token``); refused elsewhere.
DEV_JWT_SECRET = "change-me-local-demo-secret-0123456789"
#: Shortest HS256 secret accepted outside development (RFC 7518 wants >= 256 bits of key).
MIN_SECRET_LENGTH = 32


def serves_preflight_data(environment: Environment) -> bool:
    """Evidence (O4) and proof (O5) answer only before production (docs/operations-gateway.md)."""
    return environment is not Environment.PRODUCTION


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GUARD_API_", extra="ignore")

    #: Safe by default: production refuses the development JWT secret (docs/operations-gateway.md).
    environment: Environment = Environment.PRODUCTION
    database_url: str = Field(
        default="postgresql+asyncpg://guard@127.0.0.1:5432/guard",
        validation_alias=AliasChoices("GUARD_API_DATABASE_URL", "DATABASE_URL", "database_url"),
    )
    #: A read replica (docs/operations-gateway.md#read-replica): incident lists and detail,
    #: analytics and costs read there; commands, exports and notification channels stay on the
    #: primary. Unset: everything reads the primary. Unreachable: reads fall back to the primary.
    database_read_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("GUARD_API_DATABASE_READ_URL", "database_read_url"),
    )
    #: After the replica failed to connect, reads use the primary for this long before trying it
    #: again.
    db_read_retry_s: float = Field(default=5.0, gt=0, le=300)
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices(
            "GUARD_API_KAFKA_BOOTSTRAP_SERVERS",
            "KAFKA_BOOTSTRAP_SERVERS",
            "kafka_bootstrap_servers",
        ),
    )
    db_pool_size: int = Field(default=20, ge=1, le=200)
    #: Test a pooled connection on checkout (one round trip) so a connection that died with a
    #: PostgreSQL restart is replaced instead of failing the request ...
    db_pool_pre_ping: bool = True
    #: ... but only a connection idle for longer than this (seconds); 0 = on every checkout. A
    #: connection in steady use is not pinged (docs/operations-gateway.md).
    db_pool_ping_idle_s: float = Field(default=0.1, ge=0, le=3600)
    db_connect_timeout_s: float = Field(default=5.0, gt=0, le=60)
    #: How long a request waits for a pooled connection before answering 503.
    db_pool_timeout_s: float = Field(default=10.0, gt=0, le=120)
    db_statement_timeout_s: float = Field(default=30.0, gt=0, le=600)
    #: How long a publish waits for the broker before answering 503.
    kafka_timeout_s: float = Field(default=5.0, gt=0, le=60)
    #: ``Retry-After`` (seconds) of a 503 answered while a dependency is unreachable.
    retry_after_s: int = Field(default=2, ge=1, le=300)
    #: A larger request body is refused with 413 before it is read into memory.
    max_body_bytes: int = Field(default=1024 * 1024, ge=16 * 1024, le=64 * 1024 * 1024)

    #: HS256 shared secret; ignored when an RS256 public key or JWKS file is configured.
    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    jwt_public_key_file: Path | None = None
    jwt_jwks_file: Path | None = None
    #: JWKS fetched over HTTP(S) and cached (PyJWT's ``PyJWKClient``).
    jwt_jwks_url: str | None = None
    jwt_jwks_cache_s: int = Field(default=300, ge=0, le=86400)
    jwt_audience: str = "console"
    #: Clock skew tolerated on ``exp`` (seconds).
    jwt_leeway_seconds: int = Field(default=0, ge=0, le=300)

    #: Key of the HMAC the gateway puts in the export ids it mints (docs/operations-gateway.md);
    #: give every replica the same key. Unset: a random key per process.
    export_id_key: SecretStr | None = None

    #: Origins allowed to call the API from a browser (comma-separated); empty = no CORS.
    cors_allow_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    #: Per-tenant limits in the ``limits`` notation ("600/minute", "10/second;100/minute");
    #: reads are GETs, commands are POSTs. ``rate_limit_enabled=false`` turns both off.
    rate_limit_enabled: bool = True
    rate_limit_reads: str = "1200/minute"
    rate_limit_commands: str = "120/minute"

    topic_incident_commands: str = DEFAULT_TOPICS.incident_commands
    topic_export_requests: str = DEFAULT_TOPICS.export_requests
    topic_notification_commands: str = DEFAULT_TOPICS.notification_commands

    #: Serve the hottest reads (/active, /{incident_id}, /by-run/{run_id}) in a lane in front of
    #: FastAPI's routing (docs/operations-gateway.md#fast-reads); false: everything via FastAPI.
    fast_reads: bool = True

    #: Allocations between two young-generation garbage collections (Python's default: 700).
    gc_gen0_threshold: Gen0Threshold = DEFAULT_GEN0_THRESHOLD

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    log_level: str = "INFO"

    @field_validator("cors_allow_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("rate_limit_reads", "rate_limit_commands")
    @classmethod
    def _limit_notation(cls, value: str) -> str:
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError as exc:
            raise ValueError(f"not a rate limit like '600/minute': {value!r} ({exc})") from None
        return value

    @model_validator(mode="after")
    def _no_default_secret_outside_development(self) -> Settings:
        keys = [
            name
            for name, value in (
                ("GUARD_API_JWT_PUBLIC_KEY_FILE", self.jwt_public_key_file),
                ("GUARD_API_JWT_JWKS_FILE", self.jwt_jwks_file),
                ("GUARD_API_JWT_JWKS_URL", self.jwt_jwks_url),
            )
            if value is not None
        ]
        if len(keys) > 1:
            raise ValueError(f"configure only one of {', '.join(keys)}")
        secret = self.jwt_secret.get_secret_value()
        weak = secret == DEV_JWT_SECRET or len(secret) < MIN_SECRET_LENGTH
        if not keys and weak and self.environment is not Environment.DEVELOPMENT:
            raise ValueError(
                f"environment is {self.environment.value}: set GUARD_API_JWT_SECRET to a "
                f"secret of at least {MIN_SECRET_LENGTH} characters (the development secret "
                "committed in the repository is refused), or configure an RS256 key with "
                "GUARD_API_JWT_PUBLIC_KEY_FILE, GUARD_API_JWT_JWKS_FILE or "
                "GUARD_API_JWT_JWKS_URL; set GUARD_API_ENVIRONMENT=development only on a "
                "developer machine"
            )
        return self

    @property
    def topics(self) -> Topics:
        return Topics(
            incident_commands=self.topic_incident_commands,
            export_requests=self.topic_export_requests,
            notification_commands=self.topic_notification_commands,
        )
