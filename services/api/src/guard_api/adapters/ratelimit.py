"""Per-tenant rate limits (docs/operations-gateway.md): reads (GET) and commands (POST) each have
their own budget per tenant, counted in a moving window in this process's memory (the ``limits``
package). Several replicas each count on their own, so the effective limit is per replica."""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from guard_api.adapters.errors import TooManyRequests
from guard_api.config import Settings


class TenantRateLimiter:
    def __init__(self, settings: Settings) -> None:
        self._enabled = settings.rate_limit_enabled
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._reads: list[RateLimitItem] = parse_many(settings.rate_limit_reads)
        self._commands: list[RateLimitItem] = parse_many(settings.rate_limit_commands)

    def admit(self, tenant_id: str, command: bool) -> None:
        """Counts one request of ``tenant_id``; raises :class:`TooManyRequests` over a limit."""
        if not self._enabled:
            return
        kind = "command" if command else "read"
        for item in self._commands if command else self._reads:
            if not self._limiter.hit(item, tenant_id, kind):
                stats = self._limiter.get_window_stats(item, tenant_id, kind)
                retry_after = max(1, math.ceil(stats.reset_time - time.time()))
                raise TooManyRequests(
                    f"the tenant's {kind} limit of {item} is spent; retry in {retry_after}s",
                    retry_after=retry_after,
                )
