"""SOC2 controls CC7.2–CC7.5, each assessed **from the incident's data** (docs/exports.md).

Three statuses. DEMONSTRATED: the data shows everything the control asks. PARTIAL: the data shows
a real part of it and names what is missing (an incident contained but still open responded, but
has not finished responding). NOT DEMONSTRATED: the data shows none of it. A timeline that fails
its hash chain demonstrates nothing: the evidence itself cannot be relied on.

| control | DEMONSTRATED | PARTIAL | NOT DEMONSTRATED |
|---|---|---|---|
| CC7.2 detect | raised by automated monitoring, timeline present | — | otherwise |
| CC7.3 evaluate | acknowledged, or resolved by a person | — | otherwise |
| CC7.4 respond | contained (stop/freeze) and resolved | contained but open; or resolved by a person without containment | otherwise |
| CC7.5 recover | resolved by a release or rollback | resolved by a person another way | open or auto-resolved |
"""

from __future__ import annotations

from dataclasses import dataclass

from guard_exporter.engines.phrasing import count
from guard_exporter.engines.records import IncidentData, IncidentRecord
from guard_exporter.engines.serialize import when
from guard_rules.resolution import recovery_attempted

DEMONSTRATED = "DEMONSTRATED"
PARTIAL = "PARTIAL"
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


def cc72_status(source_type: str, has_timeline: bool) -> str:
    return DEMONSTRATED if source_type in AUTOMATED_SOURCES and has_timeline else NOT_DEMONSTRATED


def cc73_status(inc: IncidentRecord) -> str:
    evaluated = inc.acked_at is not None or (
        inc.resolved_at is not None and inc.resolution_method in HUMAN_RESOLUTIONS
    )
    return DEMONSTRATED if evaluated else NOT_DEMONSTRATED


def cc74_status(inc: IncidentRecord, contained: bool) -> str:
    if contained:
        return DEMONSTRATED if inc.resolved_at is not None else PARTIAL
    if inc.resolved_at is not None and inc.resolution_method in HUMAN_RESOLUTIONS:
        return PARTIAL
    return NOT_DEMONSTRATED


def cc75_status(inc: IncidentRecord) -> str:
    if inc.resolved_at is None:
        return NOT_DEMONSTRATED
    if recovery_attempted(inc.resolution_method):
        return DEMONSTRATED
    return PARTIAL if inc.resolution_method in HUMAN_RESOLUTIONS else NOT_DEMONSTRATED


def control_statuses(
    inc: IncidentRecord, *, has_timeline: bool, contained: bool, chain_verified: bool
) -> tuple[str, str, str, str]:
    """CC7.2–CC7.5 statuses without their reasons (the period summary counts only these)."""
    if not chain_verified:
        return (NOT_DEMONSTRATED,) * 4
    return (
        cc72_status(inc.source_type, has_timeline),
        cc73_status(inc),
        cc74_status(inc, contained),
        cc75_status(inc),
    )


def _by(who: str | None) -> str:
    return f" by {who}" if who else ""


def _cc72(data: IncidentData) -> ControlResult:
    inc = data.incident
    title = "Monitoring detects anomalies"
    if inc.source_type not in AUTOMATED_SOURCES:
        return ControlResult(
            "CC7.2",
            title,
            NOT_DEMONSTRATED,
            f"Source is {inc.source_type!r}: the incident was not raised by automated monitoring.",
        )
    if not data.timeline:
        return ControlResult(
            "CC7.2", title, NOT_DEMONSTRATED, "No timeline entry records the detection."
        )
    what = inc.trigger_type or inc.category
    return ControlResult(
        "CC7.2",
        title,
        DEMONSTRATED,
        f"Detected automatically by a {inc.source_type} signal ({what}); the incident opened at "
        f"{when(inc.created_at)} with {count(len(data.events), 'guard signal')} recorded.",
    )


def _cc73(data: IncidentData) -> ControlResult:
    inc = data.incident
    title = "Security events are evaluated"
    if inc.acked_at is not None:
        reason = f"Acknowledged{_by(inc.acked_by)} at {when(inc.acked_at)}"
    elif inc.resolved_at is not None and inc.resolution_method in HUMAN_RESOLUTIONS:
        reason = f"Resolved{_by(inc.resolved_by)} at {when(inc.resolved_at)}"
    elif inc.resolved_at is None:
        return ControlResult(
            "CC7.3", title, NOT_DEMONSTRATED, "Nobody has acknowledged the open incident yet."
        )
    else:
        return ControlResult(
            "CC7.3",
            title,
            NOT_DEMONSTRATED,
            "No person acknowledged or resolved the incident; it closed automatically.",
        )
    return ControlResult(
        "CC7.3",
        title,
        DEMONSTRATED,
        f"{reason} (severity {inc.severity}, category {inc.category}).",
    )


def _contained(data: IncidentData) -> bool:
    return data.incident.contained_at is not None or any(
        e.action in CONTAINING_ACTIONS for e in data.events
    )


def _cc74(data: IncidentData) -> ControlResult:
    inc = data.incident
    title = "Incidents are responded to"
    contained = _contained(data)
    at = f" at {when(inc.contained_at)}" if inc.contained_at else ""
    method = f" ({inc.resolution_method})" if inc.resolution_method else ""
    if contained and inc.resolved_at is not None:
        return ControlResult(
            "CC7.4",
            title,
            DEMONSTRATED,
            f"Contained{at} and resolved at {when(inc.resolved_at)}{method}.",
        )
    if contained:
        return ControlResult(
            "CC7.4",
            title,
            PARTIAL,
            f"Contained{at} by a stop or freeze; the incident is not resolved yet.",
        )
    if inc.resolved_at is not None and inc.resolution_method in HUMAN_RESOLUTIONS:
        return ControlResult(
            "CC7.4",
            title,
            PARTIAL,
            f"Resolved{_by(inc.resolved_by)} at {when(inc.resolved_at)}{method}, but no stop or "
            "freeze action contained it first.",
        )
    return ControlResult(
        "CC7.4",
        title,
        NOT_DEMONSTRATED,
        "No stop or freeze action was recorded; the incident was not contained.",
    )


def _cc75(data: IncidentData) -> ControlResult:
    inc = data.incident
    title = "Recovery from incidents"
    if inc.resolved_at is None:
        return ControlResult(
            "CC7.5",
            title,
            NOT_DEMONSTRATED,
            "The incident is still open; no recovery is recorded.",
        )
    if recovery_attempted(inc.resolution_method):
        return ControlResult(
            "CC7.5",
            title,
            DEMONSTRATED,
            f"Recovered by {inc.resolution_method} at {when(inc.resolved_at)}"
            f"{_by(inc.resolved_by)}.",
        )
    if inc.resolution_method in HUMAN_RESOLUTIONS:
        return ControlResult(
            "CC7.5",
            title,
            PARTIAL,
            f"Resolved by {inc.resolution_method}{_by(inc.resolved_by)}; no release or rollback "
            "records how normal operation was restored.",
        )
    return ControlResult(
        "CC7.5",
        title,
        NOT_DEMONSTRATED,
        "The incident closed automatically after a quiet period; no recovery action is recorded.",
    )


def evaluate_controls(data: IncidentData, chain_verified: bool) -> list[ControlResult]:
    results = [_cc72(data), _cc73(data), _cc74(data), _cc75(data)]
    # The reasons above and the status-only rules (used for period counts) must agree.
    expected = control_statuses(
        data.incident,
        has_timeline=bool(data.timeline),
        contained=_contained(data),
        chain_verified=True,
    )
    assert tuple(r.status for r in results) == expected, (results, expected)
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
