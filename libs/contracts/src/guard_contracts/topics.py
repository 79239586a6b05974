"""Default Kafka topic names (docs/product/events.md). Services take overrides from their settings."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True, slots=True)
class Topics:
    cost_events: str = "guard.cost-events.v1"
    killswitch_events: str = "guard.killswitch-events.v1"
    budgets: str = "guard.budgets.v1"
    incident_commands: str = "guard.incident-commands.v1"
    cost_anomalies: str = "guard.cost-anomalies.v1"
    incident_changes: str = "guard.incident-changes.v1"
    analytics_results: str = "guard.analytics-results.v1"
    export_requests: str = "guard.export-requests.v1"
    export_results: str = "guard.export-results.v1"
    notification_commands: str = "guard.notification-commands.v1"
    dlq: str = "guard.dlq.v1"

    def all(self) -> list[str]:
        return [getattr(self, f.name) for f in fields(self)]


DEFAULT_TOPICS = Topics()
