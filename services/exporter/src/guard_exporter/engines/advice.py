"""Recommendations of the executive debrief, each following from a fact (docs/exports.md).

Every rule is a small function: it looks at the incident (and the learnings from similar incidents)
and returns one recommendation or nothing, so a recommendation can never contradict the facts
("nobody acknowledged" is said only of an incident nobody acknowledged *and* nobody resolved).
The rules run in the order of :data:`RULES`, most urgent first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeAlias

from guard_exporter.engines.debrief import duration_phrase
from guard_exporter.engines.phrasing import count, duration, title_words
from guard_exporter.engines.records import IncidentData, SimilarIncident
from guard_rules import learnings as rules

#: The learnings of one incident as the debrief holds them (``guard_rules.learnings``, the same
#: rules the API's ``/learnings`` answer uses).
Learnings: TypeAlias = rules.Learnings[SimilarIncident]

#: Response targets by severity (the metrics' SLA defaults).
SLA_TARGETS = {
    "critical": timedelta(hours=1),
    "high": timedelta(hours=4),
    "medium": timedelta(hours=24),
    "low": timedelta(hours=72),
}
CONTAINING_ACTIONS = frozenset({"stopped", "frozen"})
PERSON_RESOLUTIONS = frozenset({"manual", "rollback", "manual_closure", "released"})


@dataclass(frozen=True, slots=True)
class Facts:
    data: IncidentData
    learned: Learnings
    as_of: datetime


Rule = Callable[[Facts], str | None]


def never_contained(f: Facts) -> str | None:
    inc = f.data.incident
    contained = inc.contained_at is not None or any(
        e.action in CONTAINING_ACTIONS for e in f.data.events
    )
    if contained:
        return None
    guard = f"the {title_words(inc.trigger_type)} guard" if inc.trigger_type else "the guard"
    return (
        f"Configure {guard} to stop or freeze the run for this condition: nothing stopped or "
        "froze it during this incident."
    )


def nobody_acknowledged(f: Facts) -> str | None:
    inc = f.data.incident
    if inc.acked_at is not None or inc.resolution_method in PERSON_RESOLUTIONS:
        return None
    if inc.resolved_at is None:
        return (
            f"Assign an owner now: nobody has acknowledged this incident, "
            f"{duration_phrase(inc, f.as_of)}."
        )
    return (
        "Route these alerts to an on-call owner: the incident closed itself after a quiet "
        "period without anyone acknowledging it."
    )


def slow_acknowledgement(f: Facts) -> str | None:
    inc = f.data.incident
    target = SLA_TARGETS.get(inc.severity)
    if inc.acked_at is None or target is None or inc.acked_at - inc.created_at <= target:
        return None
    return (
        f"Acknowledge {inc.severity} incidents within {duration(target)}: this one was "
        f"acknowledged after {duration(inc.acked_at - inc.created_at)}."
    )


def slow_resolution(f: Facts) -> str | None:
    inc = f.data.incident
    target = SLA_TARGETS.get(inc.severity)
    if target is None:
        return None
    end = inc.resolved_at or f.as_of
    if end - inc.created_at <= target:
        return None
    state = "was resolved after" if inc.resolved_at else "has been open for"
    return (
        f"Review the response: the {duration(target)} target for {inc.severity} incidents was "
        f"missed; this one {state} {duration(end - inc.created_at)}."
    )


def recurring(f: Facts) -> str | None:
    inc = f.data.incident
    earlier = [s for s in f.learned.similar if s.fingerprint == inc.fingerprint]
    if inc.recurrence_of is None and not earlier:
        return None
    on_record = f" ({count(len(earlier), 'resolved incident')} on record)" if earlier else ""
    return (
        f"Fix the root cause: the same guard, policy and agent raised incidents before{on_record}."
    )


def proven_response(f: Facts) -> str | None:
    found = [i for i in f.learned.insights if i.kind is rules.Kind.RESPONSE]
    return f"Adopt the proven response as a runbook step. {found[0].message}" if found else None


def repeated_recovery(f: Facts) -> str | None:
    found = [i for i in f.learned.insights if i.kind is rules.Kind.PREVENTION]
    return (
        f"Add a pre-deployment check for this failure mode. {found[0].message}" if found else None
    )


def benchmark(f: Facts) -> str | None:
    found = [i for i in f.learned.insights if i.kind is rules.Kind.DETECTION]
    return f"Use this as the resolution-time benchmark. {found[0].message}" if found else None


def still_open(f: Facts) -> str | None:
    if f.data.incident.resolved_at is not None:
        return None
    return "Resolve the incident and record how it was fixed, so the next one is faster."


RULES: tuple[Rule, ...] = (
    never_contained,
    nobody_acknowledged,
    slow_acknowledgement,
    slow_resolution,
    recurring,
    proven_response,
    repeated_recovery,
    benchmark,
    still_open,
)


def recommendations(data: IncidentData, learned: Learnings, as_of: datetime) -> list[str]:
    advice = [text for rule in RULES if (text := rule(Facts(data, learned, as_of)))]
    if not advice:
        inc = data.incident
        took = duration(inc.resolved_at - inc.created_at) if inc.resolved_at else None
        advice.append(
            "No further action: the incident was detected, contained and resolved"
            + (f" within {took}." if took else ".")
        )
    return advice
