"""SOC2 controls CC7.2–CC7.5, each demonstrated or not **from the incident's data** (SPEC §9).

The original always printed DEMONSTRATED; here each control names the fact that shows it, or the
fact that is missing. A timeline that fails its hash chain demonstrates nothing: the evidence
itself cannot be relied on.
"""

from __future__ import annotations

from dataclasses import dataclass

from guard_exporter.engines.records import IncidentData
from guard_exporter.engines.serialize import when
from guard_rules.resolution import recovery_attempted

DEMONSTRATED = "DEMONSTRATED"
NOT_DEMONSTRATED = "NOT DEMONSTRATED"
AUTOMATED_SOURCES = frozenset({"killswitch", "cost_anomaly"})
CONTAINING_ACTIONS = frozenset({"stopped", "frozen"})
HUMAN_RESOLUTIONS = frozenset({"manual", "rollback", "manual_closure", "released"})


@dataclass(frozen=True, slots=True)
class ControlResult:
    control_id: str
    title: str
    status: str
    reason: str


def _result(control_id: str, title: str, shown: bool, yes: str, no: str) -> ControlResult:
    return ControlResult(
        control_id, title, DEMONSTRATED if shown else NOT_DEMONSTRATED, yes if shown else no
    )


def _cc72(data: IncidentData) -> ControlResult:
    inc = data.incident
    signals = len(data.events)
    shown = inc.source_type in AUTOMATED_SOURCES and data.timeline != ()
    return _result(
        "CC7.2",
        "Monitoring detects anomalies",
        shown,
        f"Detected automatically by a {inc.source_type} signal "
        f"({inc.trigger_type or inc.category}); the incident opened at {when(inc.created_at)} "
        f"with {signals} guard signal(s) recorded.",
        f"Source is {inc.source_type!r}: the incident was not raised by automated monitoring"
        if inc.source_type not in AUTOMATED_SOURCES
        else "No timeline entry records the detection.",
    )


def _cc73(data: IncidentData) -> ControlResult:
    inc = data.incident
    evaluated = inc.acked_at is not None or inc.resolution_method in HUMAN_RESOLUTIONS
    by = inc.acked_by or inc.resolved_by
    at = when(inc.acked_at or inc.resolved_at)
    return _result(
        "CC7.3",
        "Security events are evaluated",
        evaluated,
        f"Evaluated by {by} at {at} (severity {inc.severity}, category {inc.category}).",
        "No person acknowledged or resolved the incident; it was never evaluated.",
    )


def _cc74(data: IncidentData) -> ControlResult:
    inc = data.incident
    contained = inc.contained_at is not None or any(
        e.action in CONTAINING_ACTIONS for e in data.events
    )
    if not contained:
        why = "No stop or freeze action was recorded; the incident was not contained."
    else:
        why = "The incident was contained but is not resolved."
    return _result(
        "CC7.4",
        "Incidents are responded to",
        contained and inc.resolved_at is not None,
        f"Contained at {when(inc.contained_at or inc.first_event_at)} and resolved at "
        f"{when(inc.resolved_at)} ({inc.resolution_method}).",
        why,
    )


def _cc75(data: IncidentData) -> ControlResult:
    inc = data.incident
    recovered = inc.resolved_at is not None and recovery_attempted(inc.resolution_method)
    if inc.resolved_at is None:
        why = "The incident is still open; no recovery is recorded."
    else:
        why = (
            f"Resolved by {inc.resolution_method}: no release or rollback restored normal "
            "operation."
        )
    return _result(
        "CC7.5",
        "Recovery from incidents",
        recovered,
        f"Recovered by {inc.resolution_method} at {when(inc.resolved_at)} (by {inc.resolved_by}).",
        why,
    )


def evaluate_controls(data: IncidentData, chain_verified: bool) -> list[ControlResult]:
    results = [_cc72(data), _cc73(data), _cc74(data), _cc75(data)]
    if chain_verified:
        return results
    return [
        ControlResult(
            r.control_id,
            r.title,
            NOT_DEMONSTRATED,
            "The timeline failed its hash-chain verification, so its evidence cannot be relied on.",
        )
        for r in results
    ]
