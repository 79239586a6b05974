"""Evidence (O4, docs/product/evidence-and-proof.md#evidence) and proof (O5, docs/product/evidence-and-proof.md#proof) of one incident."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from uuid import UUID

from guard_api.adapters.errors import NotFound
from guard_api.adapters.mapping import summary
from guard_api.drivers.evidence import EvidenceRepository
from guard_api.drivers.incidents import IncidentRepository
from guard_api.drivers.rows import CostEventRow, IncidentRow, KillswitchEventRow
from guard_api.engines.evidence import MAX_RELATED, MAX_STEPS, recovery_suggestions, run_totals
from guard_contracts.api.evidence import (
    Evidence,
    IncidentTimeline,
    Integrity,
    PolicyTrigger,
    Proof,
    RawLog,
    RecoverySuggestion,
    RunStep,
    SourceRun,
    TimelineEntry,
    TimelineItem,
    VerificationStatus,
)
from guard_contracts.chain import ALGORITHM
from guard_contracts.money import micros_to_usd
from guard_rules.timeline import verify_timeline


def _step(row: CostEventRow) -> RunStep:
    data = asdict(row)
    data["cost_usd"] = micros_to_usd(data.pop("cost_micros"))
    data.pop("run_id")
    return RunStep.model_validate(data)


def _raw(row: KillswitchEventRow) -> RawLog:
    try:
        payload = json.loads(row.raw)
    except (UnicodeDecodeError, ValueError):
        payload = row.raw.decode("utf-8", errors="replace")
    return RawLog(
        event_id=row.event_id,
        event_type=row.event_type,
        occurred_at=row.occurred_at,
        payload=payload,
    )


def _source_run(
    incident: IncidentRow, steps: Sequence[CostEventRow], count: int
) -> SourceRun | None:
    if incident.llm_run_id is None:
        return None
    totals = run_totals(steps)
    agent = incident.affected_agent_id or next((s.agent_id for s in steps if s.agent_id), None)
    return SourceRun(
        run_id=incident.llm_run_id,
        agent_id=agent,
        steps=[_step(s) for s in steps],
        step_count=count,
        total_input_tokens=totals.input_tokens,
        total_output_tokens=totals.output_tokens,
        total_cost_usd=micros_to_usd(totals.cost_micros),
        total_duration_ms=totals.duration_ms,
        first_event_at=totals.first_event_at,
        last_event_at=totals.last_event_at,
    )


class IncidentEvidence:
    def __init__(self, incidents: IncidentRepository, evidence: EvidenceRepository) -> None:
        self._incidents = incidents
        self._evidence = evidence

    async def _incident(self, tenant_id: str, incident_id: UUID) -> IncidentRow:
        row = await self._incidents.get(tenant_id, incident_id)
        if row is None:
            raise NotFound("incident")
        return row

    async def _steps(self, tenant_id: str, run_id: str | None) -> tuple[list[CostEventRow], int]:
        if run_id is None:
            return [], 0
        return await self._evidence.run_steps(tenant_id, run_id, MAX_STEPS)

    async def evidence(self, tenant_id: str, incident_id: UUID) -> Evidence:
        incident = await self._incident(tenant_id, incident_id)
        steps, count = await self._steps(tenant_id, incident.llm_run_id)
        killswitch = await self._evidence.killswitch_events(tenant_id, incident_id)
        related = await self._incidents.related(
            tenant_id, incident_id, incident.llm_run_id, incident.fingerprint, MAX_RELATED
        )
        suggestions = recovery_suggestions(
            incident.category,
            incident.lifecycle_state,
            [k.action for k in killswitch],
            has_run=incident.llm_run_id is not None,
        )
        return Evidence(
            incident_id=incident_id,
            source_run=_source_run(incident, steps, count),
            policies_triggered=[
                PolicyTrigger.model_validate({k: v for k, v in asdict(row).items() if k != "raw"})
                for row in killswitch
            ],
            related_incidents=[summary(r) for r in related],
            recovery_suggestions=[
                RecoverySuggestion.model_validate(asdict(s)) for s in suggestions
            ],
        )

    async def timeline(self, tenant_id: str, incident_id: UUID) -> IncidentTimeline:
        """The incident's changes, oldest first, without the chain's hashes (those are proof)."""
        read = await self._evidence.timeline_with_head(tenant_id, incident_id)
        if read is None:
            raise NotFound("incident")
        return IncidentTimeline(
            incident_id=incident_id,
            entries=[TimelineItem.model_validate(asdict(t)) for t in read[0]],
        )

    async def proof(self, tenant_id: str, incident_id: UUID) -> Proof:
        incident = await self._incident(tenant_id, incident_id)
        read = await self._evidence.timeline_with_head(tenant_id, incident_id)
        if read is None:
            raise NotFound("incident")
        timeline, head, length = read
        verdict = verify_timeline(timeline, expected_head=head, expected_length=length)
        steps, _ = await self._steps(tenant_id, incident.llm_run_id)
        killswitch = await self._evidence.killswitch_events(tenant_id, incident_id)
        status = VerificationStatus.VERIFIED if verdict.verified else VerificationStatus.TAMPERED
        return Proof(
            incident_id=incident_id,
            integrity=Integrity(
                verification_status=status,
                algorithm=ALGORITHM,
                root_hash=verdict.root_hash,
                event_count=verdict.event_count,
                first_broken_sequence=verdict.first_broken_sequence,
                recorded_root_hash=head,
                recorded_event_count=length,
                problems=list(verdict.problems),
            ),
            traces=[_step(s) for s in steps],
            raw_logs=[_raw(k) for k in killswitch],
            timeline=[TimelineEntry.model_validate(asdict(t)) for t in timeline],
        )
