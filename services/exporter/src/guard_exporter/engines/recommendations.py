"""The debrief's recommendations: next steps that follow from the incident and its learnings.

The learnings themselves (similar incidents, insights, their wording) are ``guard_rules.learnings``,
the same rules the API's ``/learnings`` answer uses.
"""

from __future__ import annotations

from typing import TypeAlias

from guard_exporter.engines.records import IncidentRecord, SimilarIncident
from guard_rules import learnings as rules

#: The learnings of one incident as the debrief holds them.
Learnings: TypeAlias = rules.Learnings[SimilarIncident]


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
        if insight.kind is rules.Kind.RESPONSE:
            advice.append(f"Adopt the proven response as a runbook step. {insight.message}")
        elif insight.kind is rules.Kind.PREVENTION:
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
