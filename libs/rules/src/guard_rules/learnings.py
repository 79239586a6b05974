"""What an incident and its similar resolved predecessors teach (docs/product/analytics.md#learnings).

One reading for every output: the API's ``/learnings`` answer and the executive debrief's
"what similar incidents taught us" are both built from :func:`learnings_for`, so the same
incident reads the same wherever it is shown.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Generic, Protocol, TypeVar
from uuid import UUID

from guard_contracts.api.learnings import InsightType as Kind
from guard_contracts.api.learnings import SimilarMatch as Match
from guard_rules.durations import in_words_ms, to_ms
from guard_rules.resolution import recovery_attempted
from guard_rules.rounding import half_up_decimal, whole

MAX_SIMILAR = 5
#: ``Kind`` (response, prevention, detection) and ``Match`` (fingerprint, category) are the REST
#: contract's own vocabularies, so the rule and the answer cannot name them differently.


class SimilarCandidate(Protocol):
    """What the rules read of another incident (driver rows and exporter records fit)."""

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


class LearningsIncident(SimilarCandidate, Protocol):
    """The incident the learnings are about; its events are the evidence count."""

    @property
    def event_count(self) -> int: ...


S = TypeVar("S", bound=SimilarCandidate)


@dataclass(frozen=True, slots=True)
class Insight:
    kind: Kind
    message: str
    confidence: Decimal  # 0-1, 2 decimals
    supporting: int  # how many similar incidents back it


@dataclass(frozen=True, slots=True)
class Learnings(Generic[S]):
    fingerprint: str
    resolution_method: str | None
    time_to_resolution_ms: int | None  # None while open
    evidence_count: int
    recovery_attempted: bool
    similar: tuple[S, ...]
    insights: tuple[Insight, ...]

    def match(self, other: SimilarCandidate) -> Match:
        """Why ``other`` counts as similar: the same fingerprint, or only the same category."""
        return Match.FINGERPRINT if other.fingerprint == self.fingerprint else Match.CATEGORY


def resolution_ms(incident: SimilarCandidate) -> int | None:
    """Created to resolved in whole milliseconds; ``None`` while open."""
    if incident.resolved_at is None:
        return None
    return to_ms(incident.resolved_at - incident.created_at)


def _capped(base: str, step: str, n: int, cap: str) -> Decimal:
    return half_up_decimal(min(Decimal(base) + Decimal(step) * n, Decimal(cap)), 2)


def response_confidence(k: int) -> Decimal:
    """k similar incidents share the most common method: min(0.5 + 0.1k, 0.9)."""
    return _capped("0.5", "0.1", k, "0.9")


def prevention_confidence(r: int) -> Decimal:
    """r similar incidents needed a recovery: min(0.6 + 0.08r, 0.85)."""
    return _capped("0.6", "0.08", r, "0.85")


def detection_confidence(m: int) -> Decimal:
    """m similar incidents have a resolution time: min(0.5 + 0.1m, 0.8)."""
    return _capped("0.5", "0.1", m, "0.8")


def pick_similar(incident: SimilarCandidate, candidates: Iterable[S]) -> tuple[S, ...]:
    """Up to five resolved incidents other than ``incident`` sharing its fingerprint or its
    category: same fingerprint first, then latest resolution first, then incident id
    (descending), so any candidate order gives the same answer."""
    pool: dict[UUID, S] = {}
    for c in candidates:
        if (
            c.incident_id != incident.incident_id
            and c.resolved_at is not None
            and (c.fingerprint == incident.fingerprint or c.category == incident.category)
        ):
            pool.setdefault(c.incident_id, c)
    ranked = sorted(pool.values(), key=lambda c: c.incident_id, reverse=True)
    ranked.sort(key=lambda c: c.resolved_at or c.created_at, reverse=True)
    ranked.sort(key=lambda c: c.fingerprint != incident.fingerprint)
    return tuple(ranked[:MAX_SIMILAR])


def insights(similar: Sequence[SimilarCandidate]) -> tuple[Insight, ...]:
    """Response, prevention and detection insights, each only when the similar incidents
    support it (a method at all; two recoveries; two resolution times)."""
    found: list[Insight] = []
    methods = Counter(s.resolution_method for s in similar if s.resolution_method is not None)
    if methods:
        # The most common method; a tie goes to the alphabetically first, so the answer is stable.
        method, k = min(methods.items(), key=lambda item: (-item[1], item[0]))
        found.append(
            Insight(
                Kind.RESPONSE,
                f"Resolution method {method} closed {k} similar "
                f"incident{'s' if k != 1 else ''}; consider it first.",
                response_confidence(k),
                k,
            )
        )
    r = sum(1 for s in similar if recovery_attempted(s.resolution_method))
    if r >= 2:
        found.append(
            Insight(
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
        average = whole(Decimal(sum(durations)) / m)
        found.append(
            Insight(
                Kind.DETECTION,
                f"Similar incidents took {in_words_ms(average)} on average to resolve.",
                detection_confidence(m),
                m,
            )
        )
    return tuple(found)


def learnings_for(incident: LearningsIncident, candidates: Iterable[S]) -> Learnings[S]:
    """The incident's resolution summary, its similar incidents and their insights."""
    similar = pick_similar(incident, candidates)
    return Learnings(
        fingerprint=incident.fingerprint,
        resolution_method=incident.resolution_method,
        time_to_resolution_ms=resolution_ms(incident),
        evidence_count=incident.event_count,
        recovery_attempted=recovery_attempted(incident.resolution_method),
        similar=similar,
        insights=insights(similar),
    )


__all__ = [
    "MAX_SIMILAR",
    "Insight",
    "Kind",
    "Learnings",
    "LearningsIncident",
    "Match",
    "SimilarCandidate",
    "detection_confidence",
    "insights",
    "learnings_for",
    "pick_similar",
    "prevention_confidence",
    "resolution_ms",
    "response_confidence",
]
