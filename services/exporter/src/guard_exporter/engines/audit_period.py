"""The audit-period export (docs/exports.md, "Audit-period export"): pure parts.

Every incident of a tenant created in a period, streamed one incident at a time: its CSV and JSON
lines rows, its timeline rows, its proof head (the chain re-verified against the head the incident
records), and a running :class:`PeriodTally` — counts only, so memory does not grow with the
number of incidents. The SOC2 period summary PDF is rendered from the tally at the end.
"""

from __future__ import annotations

import csv
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from guard_contracts.chain import verify_chain
from guard_exporter.engines.advice import SLA_TARGETS
from guard_exporter.engines.bundle import integrity_view
from guard_exporter.engines.controls import (
    DEMONSTRATED,
    NOT_DEMONSTRATED,
    PARTIAL,
    control_statuses,
)
from guard_exporter.engines.records import IncidentRecord, TimelineRow
from guard_exporter.engines.serialize import (
    incident_view,
    iso,
    timeline_view,
    usd_text,
)
from guard_rules.timeline import hash_input_of

AUDIT_FORMAT = "guard.audit-period-bundle.v1"
INCIDENTS_CSV = "incidents.csv"
INCIDENTS_JSONL = "incidents.jsonl"
TIMELINES_JSONL = "timelines.jsonl"
PROOFS_JSONL = "proofs.jsonl"
SUMMARY_PDF = "summary.pdf"
#: Data files in bundle order; the manifest follows them.
AUDIT_FILES = (INCIDENTS_CSV, INCIDENTS_JSONL, TIMELINES_JSONL, PROOFS_JSONL, SUMMARY_PDF)
CSV_COLUMNS = (
    "incident_id",
    "created_at",
    "severity",
    "lifecycle_state",
    "category",
    "cause_type",
    "source_type",
    "title",
    "trigger_type",
    "policy_id",
    "affected_agent_id",
    "llm_run_id",
    "calls_affected",
    "event_count",
    "cost_impact_usd",
    "acked_at",
    "acked_by",
    "contained_at",
    "resolved_at",
    "resolved_by",
    "resolution_method",
    "timeline_length",
    "timeline_head",
    "verification_status",
)
CONTROL_IDS = ("CC7.2", "CC7.3", "CC7.4", "CC7.5")
SEVERITIES = ("critical", "high", "medium", "low")


@dataclass(frozen=True, slots=True)
class AuditSpec:
    """One ``export.audit_period_requested``."""

    export_id: uuid.UUID
    tenant_id: str
    period_from: datetime
    period_to: datetime
    filters: dict[str, Any]
    requested_by: str
    requested_at: datetime
    export_reason: str | None = None
    prepared_for: str | None = None


@dataclass(slots=True)
class PeriodTally:
    """What the period summary reports, accumulated incident by incident."""

    incidents: int = 0
    cost_micros: int = 0
    by_severity: Counter[str] = field(default_factory=Counter)
    by_state: Counter[str] = field(default_factory=Counter)
    by_category: Counter[str] = field(default_factory=Counter)
    sla_met: Counter[str] = field(default_factory=Counter)
    sla_breached: Counter[str] = field(default_factory=Counter)
    controls: dict[str, Counter[str]] = field(
        default_factory=lambda: {c: Counter() for c in CONTROL_IDS}
    )
    verified: int = 0
    tampered: list[str] = field(default_factory=list)  # ids, capped (see MAX_LISTED_TAMPERED)
    tampered_count: int = 0
    first_created: datetime | None = None
    last_created: datetime | None = None


MAX_LISTED_TAMPERED = 50


def sla_outcome(incident: IncidentRecord, as_of: datetime) -> str | None:
    """ "met" (resolved within its severity's target), "breached" (resolved later, or open past
    it at ``as_of``) or None (open, still within target)."""
    target = SLA_TARGETS.get(incident.severity)
    if target is None:
        return None
    if incident.resolved_at is not None:
        return "met" if incident.resolved_at - incident.created_at <= target else "breached"
    return "breached" if as_of - incident.created_at > target else None


@dataclass(frozen=True, slots=True)
class IncidentLines:
    """One incident's contribution to each data file, already encoded."""

    csv_row: list[str]
    incident: dict[str, Any]
    timeline: list[dict[str, Any]]
    proof: dict[str, Any]


def incident_lines(
    incident: IncidentRecord, timeline: Sequence[TimelineRow], tally: PeriodTally, as_of: datetime
) -> IncidentLines:
    """Verify one incident's chain against its recorded head, tally it, and lay out its rows."""
    entries = [hash_input_of(r) for r in timeline]
    verdict = verify_chain(
        ((e, r.prev_hash, r.hash) for e, r in zip(entries, timeline, strict=True)),
        expected_head=incident.timeline_head,
        expected_length=incident.timeline_length,
    )
    integrity = integrity_view(verdict)
    incident_id = str(incident.incident_id)
    _tally(tally, incident, timeline, verdict.verified, as_of)
    view = incident_view(incident)
    return IncidentLines(
        csv_row=[
            *(_csv(view.get(c)) for c in CSV_COLUMNS[:-1]),
            integrity["verification_status"],
        ],
        incident=view | {"timeline_integrity": integrity},
        timeline=[
            {"incident_id": incident_id, **timeline_view(e, r)}
            for e, r in zip(entries, timeline, strict=True)
        ],
        proof={"incident_id": incident_id, **integrity},
    )


def _csv(value: Any) -> str:
    if value is None:
        return ""
    return str(value)


class _Line:
    """A file-like that keeps the last line the csv writer wrote."""

    text = ""

    def write(self, text: str) -> None:
        self.text = text


_LINE = _Line()
_WRITER = csv.writer(_LINE, lineterminator="\n")


def csv_line(values: Sequence[str]) -> bytes:
    _WRITER.writerow(values)
    return _LINE.text.encode()


def _tally(
    tally: PeriodTally,
    incident: IncidentRecord,
    timeline: Sequence[TimelineRow],
    verified: bool,
    as_of: datetime,
) -> None:
    tally.incidents += 1
    tally.cost_micros += incident.cost_impact_micros
    tally.by_severity[incident.severity] += 1
    tally.by_state[incident.lifecycle_state] += 1
    tally.by_category[incident.category] += 1
    outcome = sla_outcome(incident, as_of)
    if outcome == "met":
        tally.sla_met[incident.severity] += 1
    elif outcome == "breached":
        tally.sla_breached[incident.severity] += 1
    if verified:
        tally.verified += 1
    else:
        tally.tampered_count += 1
        if len(tally.tampered) < MAX_LISTED_TAMPERED:
            tally.tampered.append(str(incident.incident_id))
    # Controls from the incident row and its timeline (its source events are not read here:
    # containment comes from contained_at, which ingest sets on the first stop or freeze).
    statuses = control_statuses(
        incident,
        has_timeline=bool(timeline),
        contained=incident.contained_at is not None,
        chain_verified=verified,
    )
    for control_id, status in zip(CONTROL_IDS, statuses, strict=True):
        tally.controls[control_id][status] += 1
    if tally.first_created is None or incident.created_at < tally.first_created:
        tally.first_created = incident.created_at
    if tally.last_created is None or incident.created_at > tally.last_created:
        tally.last_created = incident.created_at


def tally_view(tally: PeriodTally) -> dict[str, Any]:
    """The tally as it goes into the manifest (and is shown in the summary)."""
    return {
        "incidents": tally.incidents,
        "cost_impact_usd": usd_text(tally.cost_micros),
        "by_severity": {s: tally.by_severity.get(s, 0) for s in SEVERITIES},
        "by_state": dict(sorted(tally.by_state.items())),
        "sla": {
            s: {"met": tally.sla_met.get(s, 0), "breached": tally.sla_breached.get(s, 0)}
            for s in SEVERITIES
        },
        "controls": {
            c: {k: tally.controls[c].get(k, 0) for k in (DEMONSTRATED, PARTIAL, NOT_DEMONSTRATED)}
            for c in CONTROL_IDS
        },
        "timelines_verified": tally.verified,
        "timelines_tampered": tally.tampered_count,
        "first_created_at": iso(tally.first_created),
        "last_created_at": iso(tally.last_created),
    }
