"""Which resolution methods count as a recovery (learnings, SOC2 CC7.4)."""

from __future__ import annotations

from guard_contracts.enums import ResolutionMethod

#: A recovery was attempted when the killswitch was released or the change rolled back.
RECOVERY_METHODS: frozenset[str] = frozenset(
    {ResolutionMethod.RELEASED.value, ResolutionMethod.ROLLBACK.value}
)


def recovery_attempted(method: str | None) -> bool:
    """True for a release or a rollback; manual closes, auto-resolution and none are not."""
    return method in RECOVERY_METHODS
