"""How one HTTP attempt is judged (docs/notifications.md): delivered, retry later, or final."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum


class Verdict(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    FINAL = "final"


#: 4xx answers that mean "not now" rather than "never".
RETRYABLE_4XX = frozenset({408, 425, 429})


@dataclass(frozen=True, slots=True)
class Judgement:
    verdict: Verdict
    error: str | None = None
    #: Seconds the receiver asked us to wait (Retry-After), when it did.
    retry_after_s: float | None = None


def judge(
    status: int | None, retry_after: str | None, now: datetime, network_error: str | None = None
) -> Judgement:
    """``status`` None means no answer (``network_error`` says why): always worth a retry."""
    if status is None:
        return Judgement(Verdict.RETRY, network_error or "no answer")
    if 200 <= status < 300:
        return Judgement(Verdict.DELIVERED)
    error = f"HTTP {status}"
    if status >= 500 or status in RETRYABLE_4XX:
        return Judgement(Verdict.RETRY, error, parse_retry_after(retry_after, now))
    return Judgement(Verdict.FINAL, error)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())
