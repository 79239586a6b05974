"""decode_event validates from the bytes (pydantic's JSON mode) and words errors from the dict.

Both modes must accept exactly the same messages and build the same event from them, or the fast
path would change what ingest stores or dead-letters. Every field of every event type is replaced
by values where JSON mode and Python mode could plausibly differ (bools, floats for integers,
strings for numbers, digits beyond a float's precision, naive and odd timestamps, duplicate keys),
and the two modes are compared on each. decode_event runs the JSON mode with the model of the
event type orjson read rather than the union: that must give the union's answer too.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from guard_contracts.wire import _ADAPTER, _VALIDATE_JSON, EVENT_TYPES, decode_event

ID = "9b2f4c1e-7d3a-4e5b-8c6d-1a2b3c4d5e6f"
BASE = {"event_id": ID, "schema_version": 1, "tenant_id": "acme.prod-1",
        "occurred_at": "2026-11-01T12:00:00+00:00"}  # fmt: skip
VALID: dict[str, dict[str, Any]] = {
    "cost.recorded": {"run_id": "run-1", "step_index": 0, "model": "claude-sonnet-4",
                      "input_tokens": 120, "output_tokens": 30, "cost_usd": "0.001234",
                      "status": "ok", "duration_ms": 80, "agent_id": "a", "provider": "p"},
    "killswitch.triggered": {"killswitch_id": "ks-1", "trigger_type": "budget_breach",
                             "action": "stopped", "policy_id": "pol-1", "calls_affected": 3,
                             "cost_delta_usd": 12.5, "error_rate": 0.25, "severity": "high",
                             "evidence": {"calls": [1, 2, 3]}},
    "killswitch.released": {"killswitch_id": "ks-1", "actor_id": "ops", "reason": "done"},
    "budget.set": {"budget_type": "tenant", "entity_id": "acme.prod-1",
                   "monthly_limit_usd": "1000", "warn_threshold_pct": 80,
                   "hard_limit_enabled": True},
    "incident.acknowledge": {"incident_id": ID, "actor_id": "alice"},
    "incident.resolve": {"incident_id": ID, "actor_id": "alice", "resolution_method": "rollback"},
    "cost.anomaly_detected": {"anomaly_type": "cost_spike", "entity_type": "tenant",
                              "entity_id": "acme.prod-1", "current_usd": "140.00",
                              "expected_usd": 100, "deviation_pct": "40.0", "threshold": "1.4",
                              "severity": "high", "window_start": "2026-10-31T00:00:00Z",
                              "window_end": "2026-11-01T00:00:00Z"},
    "export.requested": {"export_id": ID, "incident_id": ID, "kind": "soc2", "format": "pdf",
                         "requested_by": "auditor"},
}  # fmt: skip
VALID = {t: {"event_type": t, **BASE, **fields} for t, fields in VALID.items()}


def raw(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()


TRICKY: tuple[Any, ...] = (
    None, True, False, 0, 1, -1, 1.0, 0.5, -0.0, 2**53 + 1, 1e-7, 1e300, "", " ", " x ", "1",
    "1.0", "0.1234567", "-1", "NaN", "Infinity", "1e3", "true", "2026-11-01T12:00:00",
    "2026-11-01T12:00:00Z", "2026-11-01 12:00:00+02:00", "2026-11-01T12:00:00.1234567+00:00",
    "1700000000", "00000000-0000-0000-0000-000000000000", "0" * 32, "x" * 300, [], [1], {},
    {"a": 1, "b": [1.5, "x", None]},
)  # fmt: skip


def outcome(mode: str, message: bytes) -> Any:
    try:
        data = orjson.loads(message)
    except orjson.JSONDecodeError:
        return "malformed"
    try:
        if mode == "json":
            return _ADAPTER.validate_json(message)
        if mode == "per_type":  # what decode_event runs: the model of the type orjson read
            if not isinstance(data, dict) or data.get("event_type") not in EVENT_TYPES:
                return _ADAPTER.validate_json(message)  # decode_event never gets here with these
            return _VALIDATE_JSON[data["event_type"]](message)
        return _ADAPTER.validate_python(data)
    except ValidationError:
        return "invalid"


def messages() -> list[bytes]:
    out = []
    for payload in VALID.values():
        out.append(raw(payload))
        for field, value in itertools.product(payload, TRICKY):
            if field != "event_type":
                out.append(raw({**payload, field: value}))
        out.append(raw({k: v for k, v in payload.items() if k != "tenant_id"}))
        # a repeated key: both parsers keep the last one
        out.append(raw(payload)[:-1] + b', "tenant_id": "other"}')
        # a repeated event_type, either order: the union and orjson both take the last one
        for other in ("cost.recorded", "killswitch.released", "no.such"):
            out.append(raw(payload)[:-1] + f', "event_type": "{other}"}}'.encode())
            out.append(b'{"event_type": "' + other.encode() + b'", ' + raw(payload)[1:])
    # numbers with more digits than a double holds
    out.append(raw(VALID["cost.recorded"]).replace(b'"0.001234"', b"0.0012340000000000000001"))
    out.append(raw(VALID["cost.anomaly_detected"]).replace(b'"1.4"', b"1.40000000000000000001"))
    return out


@pytest.mark.parametrize("message", messages(), ids=lambda m: m[-40:].decode(errors="replace"))
def test_json_and_python_modes_agree(message: bytes) -> None:
    assert outcome("json", message) == outcome("python", message)
    assert outcome("per_type", message) == outcome("json", message)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(derandomize=True, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(VALID)), st.data())
def test_modes_agree_on_random_values(event_type: str, data: st.DataObject) -> None:
    payload = dict(VALID[event_type])
    field = data.draw(st.sampled_from(sorted(set(payload) - {"event_type"})))
    payload[field] = data.draw(json_values)
    try:
        message = orjson.dumps(payload)
    except TypeError:  # integers beyond 64 bits: orjson cannot even write them
        return
    assert outcome("json", message) == outcome("python", message)
    assert outcome("per_type", message) == outcome("json", message)


def test_decode_event_still_names_the_field() -> None:
    bad = raw({**VALID["cost.recorded"], "input_tokens": "12"})
    with pytest.raises(Exception, match="input_tokens"):
        decode_event(bad)
    assert set(EVENT_TYPES) >= set(VALID)
