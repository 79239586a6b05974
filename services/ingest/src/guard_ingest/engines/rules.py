"""The fixed rules of docs/product/incidents.md: severity, escalation, category, cause type, fingerprints, titles."""

from __future__ import annotations

from datetime import datetime

from guard_contracts.enums import Category, CauseType, Severity, TriggerType
from guard_contracts.events import CostAnomalyDetected, KillswitchTriggered
from guard_ingest.engines.model import OVERFLOW_PREFIX

INITIAL_SEVERITY: dict[TriggerType, Severity] = {
    TriggerType.BUDGET_BREACH: Severity.CRITICAL,
    TriggerType.FREEZE: Severity.CRITICAL,
    TriggerType.FAILURE_SPIKE: Severity.HIGH,
    TriggerType.CONTENT_POLICY: Severity.HIGH,
    TriggerType.RATE_LIMIT: Severity.MEDIUM,
    TriggerType.POLICY_VIOLATION: Severity.MEDIUM,
    TriggerType.MANUAL: Severity.LOW,
}

CATEGORY: dict[TriggerType, Category] = {
    TriggerType.BUDGET_BREACH: Category.BUDGET_EXCEEDED,
    TriggerType.FAILURE_SPIKE: Category.EXECUTION_FAILURE,
    TriggerType.RATE_LIMIT: Category.RATE_LIMIT,
    TriggerType.CONTENT_POLICY: Category.CONTENT_POLICY,
    TriggerType.POLICY_VIOLATION: Category.POLICY_VIOLATION,
    TriggerType.FREEZE: Category.FREEZE,
    TriggerType.MANUAL: Category.MANUAL,
}

#: Cumulative calls_affected thresholds, highest first (docs/product/incidents.md escalation).
ESCALATION: tuple[tuple[int, Severity], ...] = (
    (200, Severity.CRITICAL),
    (50, Severity.HIGH),
    (10, Severity.MEDIUM),
)
OVERFLOW_SEVERITY = Severity.HIGH
ANOMALY_INCIDENT_SEVERITIES = frozenset({Severity.HIGH, Severity.CRITICAL})


def escalation_level(cumulative_calls: int) -> Severity | None:
    for threshold, severity in ESCALATION:
        if cumulative_calls >= threshold:
            return severity
    return None


def initial_severity(event: KillswitchTriggered) -> Severity:
    return event.severity or INITIAL_SEVERITY[event.trigger_type]


def cause_type(event: KillswitchTriggered) -> CauseType:
    if event.trigger_type is TriggerType.MANUAL or event.actor_id:
        return CauseType.HUMAN
    if event.run_id:
        return CauseType.LLM_RUN
    return CauseType.SYSTEM


def killswitch_fingerprint(event: KillswitchTriggered) -> str:
    return "|".join((event.trigger_type.value, event.policy_id or "", event.agent_id or ""))


def anomaly_fingerprint(event: CostAnomalyDetected) -> str:
    return "|".join(("cost_anomaly", event.anomaly_type.value, event.entity_type, event.entity_id))


def hour_start(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def overflow_fingerprint(moment: datetime) -> str:
    return OVERFLOW_PREFIX + hour_start(moment).strftime("%Y-%m-%dT%H")


def killswitch_title(event: KillswitchTriggered) -> str:
    what = event.trigger_type.value.replace("_", " ").capitalize()
    parts = [what, f"{event.action.value}"]
    if event.policy_id:
        parts.append(f"policy {event.policy_id}")
    if event.agent_id:
        parts.append(f"agent {event.agent_id}")
    return f"{parts[0]}: " + ", ".join(parts[1:])


def killswitch_description(event: KillswitchTriggered) -> str:
    pieces = [event.reason or "", f"rule: {event.rule}" if event.rule else ""]
    text = " — ".join(p for p in pieces if p)
    return text or f"Killswitch {event.killswitch_id} {event.action.value} the run."


def anomaly_title(event: CostAnomalyDetected) -> str:
    what = event.anomaly_type.value.replace("_", " ").capitalize()
    return f"{what}: {event.entity_type} {event.entity_id}"


def anomaly_description(event: CostAnomalyDetected) -> str:
    return (
        f"Spend {event.current_usd} USD against an expected {event.expected_usd} USD "
        f"between {event.window_start.isoformat()} and {event.window_end.isoformat()}."
    )
