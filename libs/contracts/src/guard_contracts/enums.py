"""Closed vocabularies shared by every service (docs/product/events.md#event-types, docs/product/incidents.md#fields, docs/product/costs.md)."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """low < medium < high < critical, as 0..3."""
        return _SEVERITY_RANK[self]

    @classmethod
    def max(cls, *values: Severity | None) -> Severity:
        present = [v for v in values if v is not None]
        if not present:
            raise ValueError("Severity.max needs at least one severity")
        return max(present, key=lambda s: s.rank)


_SEVERITY_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2, Severity.CRITICAL: 3}


class LifecycleState(StrEnum):
    ACTIVE = "ACTIVE"
    ACKED = "ACKED"
    RESOLVED = "RESOLVED"

    @property
    def is_open(self) -> bool:
        return self is not LifecycleState.RESOLVED


#: The lifecycle states of an incident not yet resolved, as stored.
OPEN_STATES: tuple[str, ...] = tuple(s.value for s in LifecycleState if s.is_open)


class Category(StrEnum):
    BUDGET_EXCEEDED = "BUDGET_EXCEEDED"
    EXECUTION_FAILURE = "EXECUTION_FAILURE"
    RATE_LIMIT = "RATE_LIMIT"
    CONTENT_POLICY = "CONTENT_POLICY"
    POLICY_VIOLATION = "POLICY_VIOLATION"
    FREEZE = "FREEZE"
    MANUAL = "MANUAL"
    COST_ANOMALY = "COST_ANOMALY"


class CauseType(StrEnum):
    LLM_RUN = "LLM_RUN"
    SYSTEM = "SYSTEM"
    HUMAN = "HUMAN"


class SourceType(StrEnum):
    KILLSWITCH = "killswitch"
    COST_ANOMALY = "cost_anomaly"
    MANUAL = "manual"


class TriggerType(StrEnum):
    BUDGET_BREACH = "budget_breach"
    FAILURE_SPIKE = "failure_spike"
    RATE_LIMIT = "rate_limit"
    CONTENT_POLICY = "content_policy"
    POLICY_VIOLATION = "policy_violation"
    FREEZE = "freeze"
    MANUAL = "manual"


class KillswitchAction(StrEnum):
    STOPPED = "stopped"
    THROTTLED = "throttled"
    FROZEN = "frozen"
    ALERTED = "alerted"

    @property
    def contains(self) -> bool:
        """Stopped and frozen runs are contained (docs/product/analytics.md#metrics, time to containment)."""
        return self in (KillswitchAction.STOPPED, KillswitchAction.FROZEN)


class ResolutionMethod(StrEnum):
    AUTO = "auto"
    MANUAL = "manual"
    ROLLBACK = "rollback"
    MANUAL_CLOSURE = "manual_closure"
    RELEASED = "released"


class CommandResolutionMethod(StrEnum):
    """The subset of resolution methods a person may choose in a command."""

    MANUAL = "manual"
    ROLLBACK = "rollback"
    MANUAL_CLOSURE = "manual_closure"


class CallStatus(StrEnum):
    OK = "ok"
    ERROR = "error"


class BudgetType(StrEnum):
    TENANT = "tenant"
    FEATURE = "feature"
    USER = "user"


class AnomalyType(StrEnum):
    COST_SPIKE = "cost_spike"
    COST_DRIFT = "cost_drift"
    BUDGET_WARNING = "budget_warning"
    BUDGET_EXCEEDED = "budget_exceeded"


class ExportKind(StrEnum):
    EVIDENCE = "evidence"
    SOC2 = "soc2"
    EXECUTIVE_DEBRIEF = "executive_debrief"
    #: Every incident of a tenant in a period, as one signed ZIP (docs/exports.md).
    AUDIT_PERIOD = "audit_period"


class ExportFormat(StrEnum):
    JSON = "json"
    PDF = "pdf"
    ZIP = "zip"


class ExportStatus(StrEnum):
    PENDING = "pending"
    RENDERING = "rendering"
    COMPLETED = "completed"
    FAILED = "failed"


#: Which formats each export kind can be rendered in.
EXPORT_FORMATS: dict[ExportKind, frozenset[ExportFormat]] = {
    ExportKind.EVIDENCE: frozenset({ExportFormat.JSON, ExportFormat.ZIP}),
    ExportKind.SOC2: frozenset({ExportFormat.PDF}),
    ExportKind.EXECUTIVE_DEBRIEF: frozenset({ExportFormat.PDF}),
    ExportKind.AUDIT_PERIOD: frozenset({ExportFormat.ZIP}),
}
#: The kinds that export one incident (``export.requested``); the others cover a period.
INCIDENT_EXPORT_KINDS = frozenset(
    {ExportKind.EVIDENCE, ExportKind.SOC2, ExportKind.EXECUTIVE_DEBRIEF}
)


class TimelineEntryType(StrEnum):
    """Kinds of rows in an incident's tamper-evident timeline (docs/product/incidents.md)."""

    CREATED = "created"
    EVENT_ATTACHED = "event_attached"
    SEVERITY_ESCALATED = "severity_escalated"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    AUTO_RESOLVED = "auto_resolved"
    #: An artifact of the incident was exported (who, what, its SHA-256); from export results.
    EXPORTED = "exported"
