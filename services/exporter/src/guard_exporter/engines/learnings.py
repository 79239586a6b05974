"""Learnings from similar resolved incidents (SPEC §7.6), turned into recommendations."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from guard_exporter.engines.records import IncidentRecord, SimilarIncident

MAX_SIMILAR = 5
RECOVERY_METHODS = frozenset({"released", "rollback"})


@dataclass(frozen=True, slots=True)
class Insight:
    kind: str  # response | prevention | detection
    message: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Learnings:
    resolution_method: str | None
    time_to_resolution: timedelta | None
    evidence_count: int
    recovery_attempted: bool
    similar: tuple[SimilarIncident, ...]
    insights: tuple[Insight, ...]


def human_duration(value: timedelta) -> str:
    """Minutes under two hours, hours under two days, else days (SPEC §7.6 detection insight)."""
    seconds = value.total_seconds()
    if seconds < 7200:
        return f"{seconds / 60:.1f} minutes"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 86400:.1f} days"


def rank_similar(
    incident: IncidentRecord, candidates: tuple[SimilarIncident, ...]
) -> tuple[SimilarIncident, ...]:
    """Resolved incidents other than this one: same fingerprint first, then same category;
    newest resolution first within each group; at most five."""
    pool = [
        c
        for c in candidates
        if c.incident_id != incident.incident_id
        and c.resolved_at is not None
        and (c.fingerprint == incident.fingerprint or c.category == incident.category)
    ]
    pool.sort(key=lambda c: str(c.incident_id))
    pool.sort(key=lambda c: c.resolved_at or c.created_at, reverse=True)
    pool.sort(key=lambda c: c.fingerprint != incident.fingerprint)
    return tuple(pool[:MAX_SIMILAR])


def _insights(similar: tuple[SimilarIncident, ...]) -> tuple[Insight, ...]:
    found: list[Insight] = []
    methods = Counter(s.resolution_method for s in similar if s.resolution_method)
    if methods:
        method, k = sorted(methods.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        found.append(
            Insight(
                "response",
                f"{k} of {len(similar)} similar incidents were resolved the same way ({method}).",
                round(min(0.5 + 0.1 * k, 0.9), 2),
            )
        )
    recovered = sum(1 for s in similar if s.resolution_method in RECOVERY_METHODS)
    if recovered >= 2:
        found.append(
            Insight(
                "prevention",
                f"{recovered} similar incidents needed a recovery (release or rollback); "
                "the same condition keeps reaching production.",
                round(min(0.6 + 0.08 * recovered, 0.85), 2),
            )
        )
    durations = [s.resolved_at - s.created_at for s in similar if s.resolved_at is not None]
    if len(durations) >= 2:
        average = sum(durations, timedelta()) / len(durations)
        found.append(
            Insight(
                "detection",
                f"Similar incidents took {human_duration(average)} on average to resolve.",
                round(min(0.5 + 0.1 * len(durations), 0.8), 2),
            )
        )
    return tuple(found)


def learnings_for(incident: IncidentRecord, candidates: tuple[SimilarIncident, ...]) -> Learnings:
    similar = rank_similar(incident, candidates)
    resolved = incident.resolved_at
    return Learnings(
        resolution_method=incident.resolution_method,
        time_to_resolution=resolved - incident.created_at if resolved else None,
        evidence_count=incident.event_count,
        recovery_attempted=incident.resolution_method in RECOVERY_METHODS,
        similar=similar,
        insights=_insights(similar),
    )


def recommendations(incident: IncidentRecord, learned: Learnings) -> list[str]:
    """Plain-language next steps from the incident's facts and the learnings, most urgent first."""
    advice: list[str] = []
    if incident.contained_at is None:
        advice.append(
            "Configure the guard to stop or freeze runs for this trigger: this incident was "
            "never contained automatically."
        )
    if incident.acked_at is None:
        advice.append("Route these alerts to an on-call owner: nobody acknowledged this incident.")
    if incident.recurrence_of is not None or any(
        s.fingerprint == incident.fingerprint for s in learned.similar
    ):
        advice.append(
            "Fix the root cause: the same guard, policy and agent have raised incidents before."
        )
    for insight in learned.insights:
        if insight.kind == "response":
            advice.append(f"Adopt the proven response as a runbook step. {insight.message}")
        elif insight.kind == "prevention":
            advice.append(f"Add a pre-deployment check for this failure mode. {insight.message}")
        else:
            advice.append(f"Use this as the resolution-time benchmark. {insight.message}")
    if incident.resolved_at is None:
        advice.append(
            "Resolve the incident and record how it was fixed, so the next one is faster."
        )
    if not advice:
        advice.append("No further action: the incident was detected, contained and resolved.")
    return advice
