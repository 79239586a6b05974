"""Settings of the analytics read endpoints (env prefix ``GUARD_API_ANALYTICS_``).

Kept beside the gateway's own settings so the analytics endpoints configure themselves: a fixed
``now`` (reproducible answers) and the SLA targets.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from pydantic import AwareDatetime, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from guard_api.adapters.errors import ApiError

EARLIEST_NOW = datetime(1971, 1, 1, tzinfo=UTC)
LATEST_NOW = datetime(9998, 1, 1, tzinfo=UTC)


class AnalyticsApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GUARD_API_ANALYTICS_", extra="ignore")

    #: Fixed "now" for every analytics answer; a request's ``now`` parameter wins over it.
    now: AwareDatetime | None = None
    sla_critical_s: int = Field(default=3600, gt=0)
    sla_high_s: int = Field(default=4 * 3600, gt=0)
    sla_medium_s: int = Field(default=24 * 3600, gt=0)
    sla_low_s: int = Field(default=72 * 3600, gt=0)

    def resolve_now(self, requested: datetime | None) -> datetime:
        chosen = (requested or self.now or datetime.now(UTC)).astimezone(UTC)
        # Windows reach back up to 365 days and buckets forward to the next month: keep both
        # inside what datetime can hold, so an odd ``now`` is a 422, never a 500.
        if not EARLIEST_NOW <= chosen <= LATEST_NOW:
            raise ApiError(
                "validation_error",
                f"now must be between {EARLIEST_NOW.date()} and {LATEST_NOW.date()}",
                status=422,
                field="now",
            )
        return chosen

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
