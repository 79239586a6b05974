"""Learnings of an incident (docs/product/analytics.md#learnings): what resolved it and what similar incidents teach.

The rules are ``guard_rules.learnings``, shared with the exporter's debrief.
"""

from __future__ import annotations

from uuid import UUID

from guard_api.adapters.errors import NotFound
from guard_api.drivers.incidents import IncidentRepository
from guard_api.drivers.rows import IncidentRow
from guard_contracts.api.learnings import (
    Insight,
    Learnings,
    ResolutionSummary,
    SimilarIncident,
)
from guard_rules import learnings as rules


def _summary(
    incident: IncidentRow, learned: rules.Learnings[IncidentRow]
) -> ResolutionSummary | None:
    if incident.resolved_at is None or learned.time_to_resolution_ms is None:
        return None
    return ResolutionSummary(
        resolution_method=incident.resolution_method,
        resolved_at=incident.resolved_at,
        resolved_by=incident.resolved_by,
        time_to_resolution_ms=learned.time_to_resolution_ms,
        evidence_count=learned.evidence_count,
        recovery_attempted=learned.recovery_attempted,
    )


def learnings_answer(incident: IncidentRow, candidates: list[IncidentRow]) -> Learnings:
    """The ``/learnings`` payload from the incident and its candidate similar incidents (pure)."""
    learned = rules.learnings_for(incident, candidates)
    return Learnings(
        incident_id=incident.incident_id,
        resolution_summary=_summary(incident, learned),
        similar_incidents=[
            SimilarIncident(
                incident_id=other.incident_id,
                title=other.title,
                severity=other.severity,
                category=other.category,
                match=learned.match(other),
                resolution_method=other.resolution_method,
                resolved_at=other.resolved_at,
                time_to_resolution_ms=rules.resolution_ms(other),
            )
            for other in learned.similar
        ],
        insights=[
            Insight(
                insight_type=i.kind,
                message=i.message,
                confidence=i.confidence,
                supporting_incidents=i.supporting,
            )
            for i in learned.insights
        ],
    )


class IncidentLearnings:
    def __init__(self, incidents: IncidentRepository) -> None:
        self._incidents = incidents

    async def learnings(self, tenant_id: str, incident_id: UUID) -> Learnings:
        incident = await self._incidents.get(tenant_id, incident_id)
        if incident is None:
            raise NotFound("incident")
        limit = rules.MAX_SIMILAR + 1
        by_fingerprint = await self._incidents.resolved_like(
            tenant_id, incident_id, "fingerprint", incident.fingerprint, limit
        )
        by_category = await self._incidents.resolved_like(
            tenant_id, incident_id, "category", incident.category, limit
        )
        return learnings_answer(incident, [*by_fingerprint, *by_category])
