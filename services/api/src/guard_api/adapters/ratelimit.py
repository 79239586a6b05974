"""Per-tenant rate limits (docs/operations-gateway.md): reads (GET) and commands (POST) each have
their own budget per tenant, counted in a moving window in this process's memory. Several
replicas each count on their own, so the effective limit is per replica.

The limits are written in the ``limits`` package's notation and parsed by it; the counting is
done here, with one deque of hit times per (tenant, kind, limit): O(1) per request and no
background thread. The ``limits`` in-memory storage starts a timer thread every 10 ms that scans
every tenant's window, and inserts each hit at the front of a list; at a few thousand requests
per second that cost more than the rest of a cached read (bench/api/RESULTS.md)."""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque

from limits import RateLimitItem, parse_many

from guard_api.adapters.errors import TooManyRequests
from guard_api.config import Settings

_Key = tuple[str, bool]


class MovingWindow:
    """At most ``amount`` hits in any ``seconds``-long window, per key; a refused hit is not
    counted. Keys idle for longer than the window are forgotten (oldest first)."""

    def __init__(self, amount: int, seconds: int) -> None:
        self.amount = amount
        self.seconds = seconds
        self._hits: OrderedDict[_Key, deque[float]] = OrderedDict()

    def hit(self, key: _Key, now: float) -> float | None:
        """Counts a hit at ``now``; None if admitted, else the seconds until one is allowed."""
        hits = self._hits.get(key)
        if hits is None:
            self._forget_idle(now)
            hits = self._hits[key] = deque()
        else:
            self._hits.move_to_end(key)
        start = now - self.seconds
        while hits and hits[0] <= start:
            hits.popleft()
        if len(hits) >= self.amount:
            return hits[0] - start
        hits.append(now)
        return None

    def _forget_idle(self, now: float) -> None:
        # Least recently hit first: stop at the first key still inside its window.
        start = now - self.seconds
        while self._hits:
            key, hits = next(iter(self._hits.items()))
            if hits and hits[-1] > start:
                return
            del self._hits[key]


class TenantRateLimiter:
    def __init__(self, settings: Settings) -> None:
        self._enabled = settings.rate_limit_enabled
        self._reads = [self._window(item) for item in parse_many(settings.rate_limit_reads)]
        self._commands = [self._window(item) for item in parse_many(settings.rate_limit_commands)]

    @staticmethod
    def _window(item: RateLimitItem) -> tuple[str, MovingWindow]:
        return str(item), MovingWindow(item.amount, item.get_expiry())

    def admit(self, tenant_id: str, command: bool) -> None:
        """Counts one request of ``tenant_id``; raises :class:`TooManyRequests` over a limit."""
        if not self._enabled:
            return
        now = time.monotonic()
        key = (tenant_id, command)
        for name, window in self._commands if command else self._reads:
            wait = window.hit(key, now)
            if wait is not None:
                retry_after = max(1, math.ceil(wait))
                kind = "command" if command else "read"
                raise TooManyRequests(
                    f"the tenant's {kind} limit of {name} is spent; retry in {retry_after}s",
                    retry_after=retry_after,
                )
