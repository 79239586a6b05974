"""Settings of the analytics read endpoints (env prefix ``GUARD_API_ANALYTICS_``).

Kept beside the gateway's own settings so the analytics endpoints configure themselves: a fixed
``now`` (reproducible answers) and the SLA targets.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from pydantic import AwareDatetime, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AnalyticsApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GUARD_API_ANALYTICS_", extra="ignore")

    #: Fixed "now" for every analytics answer; a request's ``now`` parameter wins over it.
    now: AwareDatetime | None = None
    sla_critical_s: int = Field(default=3600, gt=0)
    sla_high_s: int = Field(default=4 * 3600, gt=0)
    sla_medium_s: int = Field(default=24 * 3600, gt=0)
    sla_low_s: int = Field(default=72 * 3600, gt=0)

    def resolve_now(self, requested: datetime | None) -> datetime:
        chosen = requested or self.now or datetime.now(UTC)
        return chosen.astimezone(UTC)

    @property
    def sla_seconds(self) -> dict[str, int]:
        return {
            "critical": self.sla_critical_s,
            "high": self.sla_high_s,
            "medium": self.sla_medium_s,
            "low": self.sla_low_s,
        }


@lru_cache(maxsize=1)
def analytics_settings() -> AnalyticsApiSettings:
    """Read once per process; tests that need another ``now`` pass the ``now`` parameter."""
    return AnalyticsApiSettings()
