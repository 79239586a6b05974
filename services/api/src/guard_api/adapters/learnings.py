"""Learnings of an incident (SPEC §7.6): what resolved it and what similar incidents teach."""

from __future__ import annotations

from uuid import UUID

from guard_api.adapters.errors import NotFound
from guard_api.drivers.incidents import IncidentRepository
from guard_api.drivers.rows import IncidentRow
from guard_api.engines import learnings as rules
from guard_contracts.api.learnings import (
    Insight,
    Learnings,
    ResolutionSummary,
    SimilarIncident,
)


def _summary(incident: IncidentRow) -> ResolutionSummary | None:
    duration = rules.resolution_ms(incident)
    if incident.resolved_at is None or duration is None:
        return None
    return ResolutionSummary(
        resolution_method=incident.resolution_method,
        resolved_at=incident.resolved_at,
        resolved_by=incident.resolved_by,
        time_to_resolution_ms=duration,
        evidence_count=incident.event_count,
        recovery_attempted=rules.recovery_attempted(incident.resolution_method),
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
        similar = rules.pick_similar(incident, by_fingerprint, by_category)
        chosen = [other for other, _ in similar]
        return Learnings(
            incident_id=incident_id,
            resolution_summary=_summary(incident),
            similar_incidents=[
                SimilarIncident(
                    incident_id=other.incident_id,
                    title=other.title,
                    severity=other.severity,
                    category=other.category,
                    match=match.value,
                    resolution_method=other.resolution_method,
                    resolved_at=other.resolved_at,
                    time_to_resolution_ms=rules.resolution_ms(other),
                )
                for other, match in similar
            ],
            insights=[
                Insight(
                    insight_type=i.kind.value,
                    message=i.message,
                    confidence=i.confidence,
                    supporting_incidents=i.supporting,
                )
                for i in rules.insights(chosen)
            ],
        )
