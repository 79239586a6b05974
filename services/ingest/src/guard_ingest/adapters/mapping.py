"""Between database rows, contract events and the engine's dataclasses."""

from __future__ import annotations

import uuid
from enum import Enum
from operator import attrgetter
from typing import Any

import orjson

from guard_contracts.enums import (
    Category,
    CauseType,
    LifecycleState,
    ResolutionMethod,
    Severity,
    SourceType,
    TriggerType,
)
from guard_contracts.events import (
    BudgetSet,
    CostAnomalyDetected,
    CostRecorded,
    KillswitchReleased,
    KillswitchTriggered,
)
from guard_contracts.incidents import IncidentDetail
from guard_contracts.money import micros_to_usd_number, usd_to_micros
from guard_contracts.outputs import IncidentChanged
from guard_ingest.drivers.incidents import INCIDENT_COLUMNS
from guard_ingest.engines.model import Incident, TimelineEntry

_ENUMS: dict[str, Any] = {
    "lifecycle_state": LifecycleState,
    "severity": Severity,
    "category": Category,
    "cause_type": CauseType,
    "source_type": SourceType,
    "trigger_type": TriggerType,
    "resolution_method": ResolutionMethod,
}


def incident_from_row(row: dict[str, Any]) -> Incident:
    values = {k: (_ENUMS[k](v) if k in _ENUMS and v is not None else v) for k, v in row.items()}
    # asyncpg returns its own UUID subclass; the engine and orjson want the standard one.
    for key in ("incident_id", "recurrence_of"):
        if values[key] is not None:
            values[key] = uuid.UUID(bytes=values[key].bytes)
    return Incident(**values)


_INCIDENT_ROW = attrgetter(*INCIDENT_COLUMNS)


#: Positions of the enum columns: only these are converted (``_value_`` is a plain attribute,
#: ``.value`` a descriptor), instead of an isinstance test on every one of the 33 values.
_ENUM_POSITIONS = tuple(i for i, column in enumerate(INCIDENT_COLUMNS) if column in _ENUMS)


def incident_to_row(incident: Incident) -> tuple[Any, ...]:
    row = list(_INCIDENT_ROW(incident))
    for i in _ENUM_POSITIONS:
        v = row[i]
        if isinstance(v, Enum):
            row[i] = v._value_
    return tuple(row)


def timeline_row(entry: TimelineEntry) -> tuple[Any, ...]:
    return (
        entry.incident_id, entry.sequence, entry.tenant_id, entry.entry_type.value,
        entry.occurred_at, entry.source_event_id, entry.data, entry.prev_hash, entry.hash,
    )  # fmt: skip


_DETAIL_FIELDS = tuple(f for f in IncidentDetail.model_fields if f != "cost_impact_usd")
_DETAIL_VALUES = attrgetter(*_DETAIL_FIELDS)


def change_message(entry: TimelineEntry, topic: str) -> tuple[str, bytes, bytes]:
    """One outbox row: (topic, key = tenant_id, IncidentChanged JSON).

    Serialised with orjson from a plain dict (5x cheaper than building the pydantic model on
    this hot path); ``test_ingest_mapping`` proves it parses back to the same IncidentChanged.
    Every field is kept (no exclude_none) so readers can parse IncidentDetail strictly.
    """
    incident = entry.incident
    detail = dict(zip(_DETAIL_FIELDS, _DETAIL_VALUES(incident), strict=True))
    detail["cost_impact_usd"] = micros_to_usd_number(incident.cost_impact_micros)
    change = {
        "event_id": IncidentChanged.id_for(entry.incident_id, entry.sequence),
        "schema_version": 1,
        "tenant_id": entry.tenant_id,
        "occurred_at": entry.occurred_at,
        "event_type": "incident.changed",
        "change_type": entry.entry_type,
        "sequence": entry.sequence,
        "incident": detail,
        "data": entry.data,
    }
    return topic, entry.tenant_id.encode(), orjson.dumps(change)


def cost_row(e: CostRecorded) -> tuple[Any, ...]:
    status = e.status
    return (
        e.tenant_id, e.event_id, e.occurred_at, e.run_id, e.step_index, e.agent_id, e.user_id,
        e.feature_tag, e.model, e.provider, e.input_tokens, e.output_tokens,
        usd_to_micros(e.cost_usd), e.duration_ms, status._value_ if status is not None else None,
    )  # fmt: skip


def killswitch_row(
    e: KillswitchTriggered | KillswitchReleased, incident_id: uuid.UUID | None, raw: bytes
) -> tuple[Any, ...]:
    if isinstance(e, KillswitchReleased):
        return (
            e.tenant_id, e.event_id, e.event_type, e.occurred_at, e.killswitch_id, None, None,
            None, None, None, None, e.reason, e.actor_id, 0, None, None, None, None,
            incident_id, raw,
        )  # fmt: skip
    return (
        e.tenant_id, e.event_id, e.event_type, e.occurred_at, e.killswitch_id,
        e.trigger_type.value, e.action.value, e.run_id, e.agent_id, e.policy_id, e.rule,
        e.reason, e.actor_id, e.calls_affected,
        usd_to_micros(e.cost_delta_usd) if e.cost_delta_usd is not None else None,
        e.error_rate, e.severity.value if e.severity else None,
        e.evidence,
        incident_id, raw,
    )  # fmt: skip


def anomaly_row(e: CostAnomalyDetected, incident_id: uuid.UUID | None) -> tuple[Any, ...]:
    return (
        e.tenant_id, e.event_id, e.anomaly_type.value, e.entity_type, e.entity_id,
        usd_to_micros(e.current_usd), usd_to_micros(e.expected_usd), e.deviation_pct,
        e.threshold, e.severity.value, e.window_start, e.window_end, e.occurred_at, incident_id,
    )  # fmt: skip


def budget_row(e: BudgetSet) -> tuple[Any, ...]:
    return (
        e.tenant_id, e.budget_type.value, e.entity_id,
        usd_to_micros(e.daily_limit_usd) if e.daily_limit_usd is not None else None,
        usd_to_micros(e.monthly_limit_usd) if e.monthly_limit_usd is not None else None,
        e.warn_threshold_pct, e.hard_limit_enabled, e.event_id, e.occurred_at,
    )  # fmt: skip
