"""Valid and invalid examples for every event type (docs/product/events.md)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guard_contracts.enums import AnomalyType
from guard_contracts.events import (
    CostAnomalyDetected,
    CostRecorded,
    ExportRequested,
    KillswitchTriggered,
    anomaly_event_id,
)
from guard_contracts.wire import (
    ContractViolation,
    DlqReason,
    check_not_future,
    decode_event,
    encode,
)

NOW = "2026-11-01T12:00:00+00:00"


def base(event_type: str, **fields: Any) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "schema_version": 1,
        "tenant_id": "acme.prod-1",
        "occurred_at": NOW,
        **fields,
    }


VALID: dict[str, dict[str, Any]] = {
    "cost.recorded": base(
        "cost.recorded",
        run_id="run-1",
        step_index=0,
        model="claude-sonnet-4",
        input_tokens=120,
        output_tokens=30,
        cost_usd="0.001234",
        status="ok",
    ),
    "killswitch.triggered": base(
        "killswitch.triggered",
        killswitch_id="ks-1",
        trigger_type="budget_breach",
        action="stopped",
        policy_id="pol-1",
        agent_id="agent-7",
        cost_delta_usd=12.5,
        error_rate=0.25,
        evidence={"calls": [1, 2, 3]},
    ),
    "killswitch.released": base("killswitch.released", killswitch_id="ks-1", actor_id="ops"),
    "budget.set": base(
        "budget.set",
        budget_type="tenant",
        entity_id="acme.prod-1",
        monthly_limit_usd="1000",
        hard_limit_enabled=True,
    ),
    "incident.acknowledge": base(
        "incident.acknowledge", incident_id=str(uuid.uuid4()), actor_id="alice"
    ),
    "incident.resolve": base(
        "incident.resolve",
        incident_id=str(uuid.uuid4()),
        actor_id="alice",
        resolution_method="rollback",
        notes="rolled back the deploy",
    ),
    "cost.anomaly_detected": base(
        "cost.anomaly_detected",
        anomaly_type="cost_spike",
        entity_type="tenant",
        entity_id="acme.prod-1",
        current_usd="140.00",
        expected_usd="100",
        deviation_pct="40.0",
        threshold="1.4",
        severity="high",
        window_start="2026-10-31T00:00:00Z",
        window_end="2026-11-01T00:00:00Z",
    ),
    "export.requested": base(
        "export.requested",
        export_id=str(uuid.uuid4()),
        incident_id=str(uuid.uuid4()),
        kind="soc2",
        format="pdf",
        requested_by="auditor",
    ),
}


def raw(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()


@pytest.mark.parametrize("event_type", sorted(VALID))
def test_every_valid_example_decodes_and_round_trips(event_type: str) -> None:
    event = decode_event(raw(VALID[event_type]))
    assert event.event_type == event_type
    assert decode_event(encode(event)) == event


def test_occurred_at_is_normalised_to_utc() -> None:
    event = decode_event(
        raw({**VALID["cost.recorded"], "occurred_at": "2026-11-01T14:00:00+02:00"})
    )
    assert event.occurred_at == datetime(2026, 11, 1, 12, tzinfo=UTC)


def test_calls_affected_defaults_to_one() -> None:
    payload = {k: v for k, v in VALID["killswitch.triggered"].items() if k != "calls_affected"}
    event = decode_event(raw(payload))
    assert isinstance(event, KillswitchTriggered)
    assert event.calls_affected == 1


@pytest.mark.parametrize(
    ("event_type", "change", "field"),
    [
        ("cost.recorded", {"occurred_at": "2026-11-01T12:00:00"}, "occurred_at"),
        ("cost.recorded", {"occurred_at": 1767225600}, "occurred_at"),
        ("cost.recorded", {"input_tokens": -1}, "input_tokens"),
        ("cost.recorded", {"output_tokens": "12"}, "output_tokens"),
        ("cost.recorded", {"cost_usd": "0.0000001"}, "cost_usd"),
        ("cost.recorded", {"cost_usd": "-0.01"}, "cost_usd"),
        ("cost.recorded", {"cost_usd": "Infinity"}, "cost_usd"),
        ("cost.recorded", {"cost_usd": "NaN"}, "cost_usd"),
        ("cost.recorded", {"cost_usd": "1000000.01"}, "cost_usd"),
        ("cost.recorded", {"cost_usd": True}, "cost_usd"),
        ("cost.recorded", {"cost_usd": "lots"}, "cost_usd"),
        ("cost.recorded", {"tenant_id": "acme corp"}, "tenant_id"),
        ("cost.recorded", {"tenant_id": ""}, "tenant_id"),
        ("cost.recorded", {"tenant_id": "x" * 65}, "tenant_id"),
        ("cost.recorded", {"event_id": "not-a-uuid"}, "event_id"),
        ("cost.recorded", {"status": "meh"}, "status"),
        ("cost.recorded", {"modle": "typo"}, "modle"),
        ("killswitch.triggered", {"trigger_type": "bored"}, "trigger_type"),
        ("killswitch.triggered", {"action": "paused"}, "action"),
        ("killswitch.triggered", {"error_rate": 1.5}, "error_rate"),
        ("killswitch.triggered", {"severity": "CRITICAL"}, "severity"),
        ("killswitch.triggered", {"evidence": {"blob": "x" * (65 * 1024)}}, "evidence"),
        ("killswitch.triggered", {"calls_affected": -3}, "calls_affected"),
        ("budget.set", {"budget_type": "team"}, "budget_type"),
        ("budget.set", {"hard_limit_enabled": "yes"}, "hard_limit_enabled"),
        ("incident.resolve", {"resolution_method": "auto"}, "resolution_method"),
        ("incident.acknowledge", {"incident_id": "inc-1"}, "incident_id"),
        ("cost.anomaly_detected", {"window_end": "2026-10-30T00:00:00Z"}, "window_end"),
        ("export.requested", {"format": "zip"}, "format"),
    ],
)
def test_schema_violations_name_the_field(
    event_type: str, change: dict[str, Any], field: str
) -> None:
    with pytest.raises(ContractViolation) as caught:
        decode_event(raw({**VALID[event_type], **change}))
    assert caught.value.code is DlqReason.SCHEMA_VIOLATION
    assert field in caught.value.message


def test_missing_required_field_is_named() -> None:
    payload = {k: v for k, v in VALID["cost.recorded"].items() if k != "model"}
    with pytest.raises(ContractViolation, match="model"):
        decode_event(raw(payload))


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"{not json", DlqReason.MALFORMED_JSON),
        (b"\xff\xfe", DlqReason.MALFORMED_JSON),
        (b"[1, 2]", DlqReason.SCHEMA_VIOLATION),
        (raw(base("cost.teleported")), DlqReason.UNKNOWN_EVENT_TYPE),
        (raw({"tenant_id": "a"}), DlqReason.UNKNOWN_EVENT_TYPE),
    ],
)
def test_unparseable_messages_get_their_own_code(data: bytes, code: DlqReason) -> None:
    with pytest.raises(ContractViolation) as caught:
        decode_event(data)
    assert caught.value.code is code


def test_oversized_message_is_rejected_before_parsing() -> None:
    with pytest.raises(ContractViolation) as caught:
        decode_event(b" " * 101, max_bytes=100)
    assert caught.value.code is DlqReason.OVERSIZED_MESSAGE


def test_topic_restricts_event_types() -> None:
    with pytest.raises(ContractViolation) as caught:
        decode_event(raw(VALID["budget.set"]), allowed=frozenset({"cost.recorded"}))
    assert caught.value.code is DlqReason.UNEXPECTED_EVENT_TYPE


def test_future_events_beyond_skew_are_rejected() -> None:
    now = datetime(2026, 11, 1, 12, tzinfo=UTC)
    check_not_future(now + timedelta(minutes=5), now)
    with pytest.raises(ContractViolation) as caught:
        check_not_future(now + timedelta(minutes=5, seconds=1), now)
    assert caught.value.code is DlqReason.FUTURE_EVENT


def test_export_formats_follow_kind() -> None:
    for kind, fmt in [("evidence", "json"), ("evidence", "zip"), ("executive_debrief", "pdf")]:
        event = decode_event(raw({**VALID["export.requested"], "kind": kind, "format": fmt}))
        assert isinstance(event, ExportRequested)


def test_anomaly_ids_are_deterministic_per_period() -> None:
    one = anomaly_event_id("t", AnomalyType.COST_SPIKE, "tenant", "t", "2026-11-01")
    assert one == anomaly_event_id("t", AnomalyType.COST_SPIKE, "tenant", "t", "2026-11-01")
    assert one != anomaly_event_id("t", AnomalyType.COST_SPIKE, "tenant", "t", "2026-11-02")
    assert one != anomaly_event_id("u", AnomalyType.COST_SPIKE, "tenant", "t", "2026-11-01")


@given(st.decimals(min_value=0, max_value=1_000_000, places=6, allow_nan=False))
def test_any_six_decimal_amount_is_exact(amount: Decimal) -> None:
    payload = {**VALID["cost.recorded"], "cost_usd": str(amount)}
    event = decode_event(raw(payload))
    assert isinstance(event, CostRecorded)
    assert event.cost_usd == amount


@given(st.floats(min_value=0, max_value=1_000_000, allow_nan=False, allow_infinity=False))
def test_json_numbers_are_accepted_only_when_exact_to_six_decimals(value: float) -> None:
    payload = {**VALID["cost.recorded"], "cost_usd": value}
    exact = Decimal(repr(value))
    if exact == exact.quantize(Decimal("0.000001")):
        event = decode_event(raw(payload))
        assert isinstance(event, CostRecorded)
        assert event.cost_usd == exact
    else:
        with pytest.raises(ContractViolation, match="cost_usd"):
            decode_event(raw(payload))


def test_anomaly_model_keeps_window_in_utc() -> None:
    event = decode_event(raw(VALID["cost.anomaly_detected"]))
    assert isinstance(event, CostAnomalyDetected)
    assert event.window_start.tzinfo is not None
    assert event.window_start.utcoffset() == timedelta(0)
