"""Base settings for a Guard service's connections.

A service declares ``class Settings(InfraSettings)`` with ``model_config = SettingsConfigDict(
env_prefix="GUARD_<SVC>_")``. ``kafka_bootstrap_servers`` and ``database_url`` are then read from
``GUARD_<SVC>_KAFKA_BOOTSTRAP_SERVERS`` / ``GUARD_<SVC>_DATABASE_URL`` and, when those are unset,
from the un-prefixed ``KAFKA_BOOTSTRAP_SERVERS`` / ``DATABASE_URL`` that ``scripts/infra env`` and
CI export. Constructor arguments win over both.
"""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

#: field name -> un-prefixed environment variable honoured as a fallback.
UNPREFIXED_ENV = {
    "kafka_bootstrap_servers": "KAFKA_BOOTSTRAP_SERVERS",
    "database_url": "DATABASE_URL",
}


class _UnprefixedEnv(PydanticBaseSettingsSource):
    """The lowest-priority source: the shared, un-prefixed connection variables."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        env_name = UNPREFIXED_ENV.get(field_name)
        value = os.environ.get(env_name) if env_name else None
        return value, field_name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name in self.settings_cls.model_fields:
            value, key, _ = self.get_field_value(self.settings_cls.model_fields[name], name)
            if value is not None:
                values[key] = value
        return values


class Environment(StrEnum):
    """Where a service runs. ``production`` is the default everywhere: a deployment that forgets
    to say refuses development secrets and keys instead of accepting them. Development tooling
    (``scripts/up``, the tests, docker-compose.yml) sets ``development`` explicitly."""

    DEVELOPMENT = "development"
    PREFLIGHT = "preflight"
    PRODUCTION = "production"


class InfraSettings(BaseSettings):
    """Connection settings shared by every service; subclass it and set ``env_prefix``."""

    model_config = SettingsConfigDict(extra="ignore")

    #: ``GUARD_<SVC>_ENVIRONMENT``; safe by default (see :class:`Environment`).
    environment: Environment = Environment.PRODUCTION

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    database_url: str = "postgresql+asyncpg://guard@127.0.0.1:5432/guard"
    #: Interface and port of the ops HTTP app (/healthz, /readyz, /metrics).
    ops_host: str = "127.0.0.1"
    ops_port: int = 8081
    log_level: str = "INFO"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            dotenv_settings,
            file_secret_settings,
            _UnprefixedEnv(settings_cls),
        )


S = TypeVar("S", bound=BaseSettings)


def load_settings(settings_cls: type[S], service: str) -> S:
    """The service's settings, or exit 2 with the reasons in one line naming the variables.

    A production deployment without a real secret or key refuses to start here, before it opens
    a connection, instead of failing later with a traceback.
    """
    try:
        return settings_cls()
    except ValidationError as exc:
        reasons = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        print(f"{service}: refusing to start: {reasons}", file=sys.stderr)
        raise SystemExit(2) from None
