"""Event builders for the ingest engine tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from guard_contracts.events import (
    CostAnomalyDetected,
    IncidentAcknowledge,
    IncidentResolve,
    KillswitchReleased,
    KillswitchTriggered,
)

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def triggered(seconds: float = 0, tenant: str = "t1", **fields: Any) -> KillswitchTriggered:
    base: dict[str, Any] = {
        "event_id": uuid.uuid4(),
        "tenant_id": tenant,
        "occurred_at": at(seconds),
        "killswitch_id": f"ks-{uuid.uuid4().hex[:6]}",
        "trigger_type": "rate_limit",
        "action": "throttled",
        "policy_id": "p1",
        "agent_id": "a1",
    }
    return KillswitchTriggered.model_validate(base | fields)


def released(
    killswitch_id: str, seconds: float, tenant: str = "t1", **fields: Any
) -> KillswitchReleased:
    return KillswitchReleased.model_validate(
        {"event_id": uuid.uuid4(), "tenant_id": tenant, "occurred_at": at(seconds),
         "killswitch_id": killswitch_id} | fields
    )  # fmt: skip


def ack(incident_id: uuid.UUID, seconds: float, tenant: str = "t1") -> IncidentAcknowledge:
    return IncidentAcknowledge(event_id=uuid.uuid4(), tenant_id=tenant, occurred_at=at(seconds),
                               incident_id=incident_id, actor_id="alice")  # fmt: skip


def resolve(
    incident_id: uuid.UUID, seconds: float, tenant: str = "t1", **fields: Any
) -> IncidentResolve:
    return IncidentResolve.model_validate(
        {"event_id": uuid.uuid4(), "tenant_id": tenant, "occurred_at": at(seconds),
         "incident_id": incident_id, "actor_id": "bob"} | fields
    )  # fmt: skip


def anomaly(
    seconds: float, severity: str = "high", tenant: str = "t1", **fields: Any
) -> CostAnomalyDetected:
    base: dict[str, Any] = {
        "event_id": uuid.uuid4(), "tenant_id": tenant, "occurred_at": at(seconds),
        "anomaly_type": "cost_spike", "entity_type": "feature", "entity_id": "search",
        "current_usd": "150.5", "expected_usd": "100", "deviation_pct": "50.5",
        "threshold": "1.4", "severity": severity,
        "window_start": at(seconds - 86400), "window_end": at(seconds),
    }  # fmt: skip
    return CostAnomalyDetected.model_validate(base | fields)
