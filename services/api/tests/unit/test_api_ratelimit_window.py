"""The per-tenant moving window (docs/operations-gateway.md#rate-limits): exact counts in any window,
refused hits not counted, idle tenants forgotten."""

from __future__ import annotations

import pytest

from guard_api.adapters.errors import TooManyRequests
from guard_api.adapters.ratelimit import MovingWindow, TenantRateLimiter
from guard_api.config import Environment, Settings


def test_at_most_amount_hits_in_any_window() -> None:
    window = MovingWindow(amount=3, seconds=60)
    key = ("tenant-a", False)
    assert [window.hit(key, t) for t in (0.0, 1.0, 2.0)] == [None, None, None]
    # The fourth within 60 s is refused until the first hit leaves the window.
    assert window.hit(key, 3.0) == pytest.approx(57.0)
    assert window.hit(key, 59.5) == pytest.approx(0.5)
    assert window.hit(key, 60.5) is None  # the hit at 0 has left
    assert window.hit(key, 60.6) == pytest.approx(0.4)  # 1, 2 and 60.5 are inside


def test_refused_hits_are_not_counted_and_tenants_are_separate() -> None:
    window = MovingWindow(amount=1, seconds=10)
    assert window.hit(("a", False), 0.0) is None
    for t in range(1, 10):
        assert window.hit(("a", False), float(t)) is not None
    assert window.hit(("a", False), 10.5) is None  # refusals did not extend the window
    assert window.hit(("b", False), 0.0) is None
    assert window.hit(("a", True), 0.0) is None  # commands count apart from reads


def test_idle_tenants_are_forgotten() -> None:
    window = MovingWindow(amount=5, seconds=10)
    for n in range(100):
        window.hit((f"tenant-{n}", False), 0.0)
    window.hit(("late", False), 11.0)  # a new key sweeps the keys idle for a whole window
    assert list(window._hits) == [("late", False)]


def test_the_limiter_reads_the_limits_notation() -> None:
    settings = Settings(
        environment=Environment.DEVELOPMENT,
        rate_limit_reads="2/second;3/minute",
        rate_limit_commands="1/minute",
    )
    limiter = TenantRateLimiter(settings)
    limiter.admit("t", command=False)
    limiter.admit("t", command=False)
    with pytest.raises(TooManyRequests) as refused:
        limiter.admit("t", command=False)
    assert "2 per 1 second" in refused.value.message
    limiter.admit("t", command=True)
    with pytest.raises(TooManyRequests) as spent:
        limiter.admit("t", command=True)
    assert spent.value.retry_after >= 59
