"""Learnings of an incident (SPEC §7.6, original formulas): summary, similar incidents, insights."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Protocol, TypeVar
from uuid import UUID

from guard_contracts.enums import ResolutionMethod

MAX_SIMILAR = 5
_RECOVERY_METHODS = frozenset({ResolutionMethod.RELEASED.value, ResolutionMethod.ROLLBACK.value})
_TWO_DP = Decimal("0.01")


class LearningsIncident(Protocol):
    """What the rules read of an incident (the driver's row satisfies it)."""

    @property
    def incident_id(self) -> UUID: ...
    @property
    def fingerprint(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def resolved_at(self) -> datetime | None: ...
    @property
    def resolution_method(self) -> str | None: ...
    @property
    def lifecycle_state(self) -> str: ...


L = TypeVar("L", bound=LearningsIncident)


class Match(StrEnum):
    FINGERPRINT = "fingerprint"
    CATEGORY = "category"


class Kind(StrEnum):
    RESPONSE = "response"
    PREVENTION = "prevention"
    DETECTION = "detection"


@dataclass(frozen=True, slots=True)
class InsightRule:
    kind: Kind
    message: str
    confidence: Decimal
    supporting: int


def resolution_ms(incident: LearningsIncident) -> int | None:
    if incident.resolved_at is None:
        return None
    return round((incident.resolved_at - incident.created_at).total_seconds() * 1000)


def recovery_attempted(method: str | None) -> bool:
    """Recovery was attempted when a killswitch was released or the change rolled back."""
    return method in _RECOVERY_METHODS


def _capped(base: str, step: str, n: int, cap: str) -> Decimal:
    value = min(Decimal(base) + Decimal(step) * n, Decimal(cap))
    return value.quantize(_TWO_DP, rounding=ROUND_HALF_UP)


def response_confidence(k: int) -> Decimal:
    return _capped("0.5", "0.1", k, "0.9")


def prevention_confidence(r: int) -> Decimal:
    return _capped("0.6", "0.08", r, "0.85")


def detection_confidence(m: int) -> Decimal:
    return _capped("0.5", "0.1", m, "0.8")


def pick_similar(
    incident: LearningsIncident,
    by_fingerprint: Sequence[L],
    by_category: Sequence[L],
) -> list[tuple[L, Match]]:
    """Up to 5 resolved others: same fingerprint first, then same category; each list newest first."""
    chosen: list[tuple[L, Match]] = []
    seen = {incident.incident_id}
    for candidates, match in ((by_fingerprint, Match.FINGERPRINT), (by_category, Match.CATEGORY)):
        for other in candidates:
            if len(chosen) == MAX_SIMILAR:
                return chosen
            if other.incident_id in seen or other.resolved_at is None:
                continue
            seen.add(other.incident_id)
            chosen.append((other, match))
    return chosen


def format_duration(ms: int) -> str:
    """An average shown in minutes, hours or days, whichever reads naturally."""
    minutes = Decimal(ms) / 60_000
    if minutes < 60:
        return f"{minutes.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)} minutes"
    hours = minutes / 60
    if hours < 24:
        return f"{hours.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)} hours"
    return f"{(hours / 24).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)} days"


def insights(similar: Sequence[LearningsIncident]) -> list[InsightRule]:
    """Response, prevention and detection insights from the similar resolved incidents."""
    found: list[InsightRule] = []
    methods = Counter(s.resolution_method for s in similar if s.resolution_method is not None)
    if methods:
        # Most common method; ties go to the alphabetically first so the answer is deterministic.
        method, k = min(methods.items(), key=lambda item: (-item[1], item[0]))
        found.append(
            InsightRule(
                Kind.RESPONSE,
                f"{k} similar incident{'s were' if k != 1 else ' was'} resolved by {method}; "
                f"consider {method} first.",
                response_confidence(k),
                k,
            )
        )
    r = sum(1 for s in similar if recovery_attempted(s.resolution_method))
    if r >= 2:
        found.append(
            InsightRule(
                Kind.PREVENTION,
                f"{r} similar incidents needed a recovery (release or rollback); add a guard "
                "that stops this pattern before it needs one.",
                prevention_confidence(r),
                r,
            )
        )
    durations = [d for d in (resolution_ms(s) for s in similar) if d is not None]
    m = len(durations)
    if m >= 2:
        average = round(Decimal(sum(durations)) / m)
        found.append(
            InsightRule(
                Kind.DETECTION,
                f"Similar incidents took {format_duration(average)} on average to resolve.",
                detection_confidence(m),
                m,
            )
        )
    return found
