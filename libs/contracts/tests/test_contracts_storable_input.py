"""Input PostgreSQL cannot store is refused by the contract, naming the field (fuzzing findings).

Before, each of these decoded fine and then failed in ingest's database write: the batch was
retried three times, then the record was dead-lettered as ``processing_failed`` with a driver
error (``invalid byte sequence for encoding "UTF8": 0x00``, ``value out of int32 range``,
``OverflowError: date value out of range``). Now each is a ``schema_violation`` that names the
field (docs/product/events.md#text).
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from guard_contracts.events import (
    MAX_COUNT,
    NON_BLANK_TEXT_PATTERN,
    TEXT_PATTERN,
    CostRecorded,
)
from guard_contracts.notifications import NotificationChannelCreate, decode_command
from guard_contracts.wire import EVENT_TYPES, ContractViolation, DlqReason, decode_event

NOW = "2026-11-01T12:00:00+00:00"
INCIDENT = str(uuid.uuid4())

FIELDS: dict[str, dict[str, Any]] = {
    "cost.recorded": {"model": "m", "input_tokens": 1, "output_tokens": 1, "cost_usd": "0.1"},
    "killswitch.triggered": {"killswitch_id": "k", "trigger_type": "manual", "action": "stopped"},
    "killswitch.released": {"killswitch_id": "k"},
    "budget.set": {"budget_type": "tenant", "entity_id": "e", "hard_limit_enabled": True},
    "incident.acknowledge": {"incident_id": INCIDENT, "actor_id": "a"},
    "incident.resolve": {"incident_id": INCIDENT, "actor_id": "a"},
    "cost.anomaly_detected": {
        "anomaly_type": "cost_spike", "entity_type": "agent", "entity_id": "a",
        "current_usd": "2", "expected_usd": "1", "threshold": "1.4", "severity": "high",
        "window_start": "2026-10-31T00:00:00Z", "window_end": "2026-11-01T00:00:00Z",
    },
    "export.requested": {
        "export_id": str(uuid.uuid4()), "incident_id": INCIDENT, "kind": "soc2",
        "format": "pdf", "requested_by": "a",
    },
    "export.audit_period_requested": {
        "export_id": str(uuid.uuid4()), "period_from": "2026-10-01T00:00:00Z",
        "period_to": "2026-11-01T00:00:00Z", "requested_by": "a",
    },
}  # fmt: skip


def message(event_type: str, **change: Any) -> bytes:
    body = {"event_id": str(uuid.uuid4()), "event_type": event_type, "tenant_id": "t1",
            "occurred_at": NOW} | FIELDS[event_type] | change  # fmt: skip
    return json.dumps(body).encode()


def text_fields(model: type[BaseModel]) -> list[str]:
    """The model's free-text fields: those whose schema carries the text pattern."""
    found = []
    for name, schema in model.model_json_schema()["properties"].items():
        options = schema.get("anyOf", [schema])
        if any(o.get("pattern") in (TEXT_PATTERN, NON_BLANK_TEXT_PATTERN) for o in options):
            found.append(name)
    return found


def refusal(raw: bytes) -> tuple[DlqReason, str]:
    with pytest.raises(ContractViolation) as caught:
        decode_event(raw)
    return caught.value.code, caught.value.message


TEXT_CASES = [(t, f) for t, model in sorted(EVENT_TYPES.items()) for f in text_fields(model)]


def test_every_event_type_has_its_text_fields_found() -> None:
    assert len({t for t, _ in TEXT_CASES}) == len(EVENT_TYPES)
    assert len(TEXT_CASES) == 29  # every str field of every event type


@pytest.mark.parametrize(
    ("event_type", "field"), TEXT_CASES, ids=[f"{t}.{f}" for t, f in TEXT_CASES]
)
def test_nul_in_any_text_field_is_a_schema_violation(event_type: str, field: str) -> None:
    assert refusal(message(event_type, **{field: "ab\u0000c"})) == (
        DlqReason.SCHEMA_VIOLATION, f"{field}: must not contain the NUL character (U+0000)")  # fmt: skip


@pytest.mark.parametrize(
    ("event_type", "field"), TEXT_CASES, ids=[f"{t}.{f}" for t, f in TEXT_CASES]
)
def test_text_fields_are_stripped_and_the_required_ones_never_blank(
    event_type: str, field: str
) -> None:
    event = decode_event(message(event_type, **{field: "\u3000 x\t"}))
    assert getattr(event, field) == "x"
    pattern = EVENT_TYPES[event_type].model_json_schema()["properties"][field]
    if "anyOf" not in pattern:  # required: blank is refused like empty
        code, text = refusal(message(event_type, **{field: " \u2003\n"}))
        assert code is DlqReason.SCHEMA_VIOLATION
        assert text.startswith(f"{field}: String should have at least 1 character")


#: Unicode White_Space, what pydantic strips (Python's str.strip() also strips U+001C-U+001F).
WHITE_SPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + ("\u2028\u2029\u202f\u205f\u3000")
)


@pytest.mark.parametrize("value", ["x", " x ", "a\u00a0b", "\u0001", "\u001c", "é" * 256])
def test_the_published_pattern_admits_what_validation_admits(value: str) -> None:
    # Stripping first, as validation does; the pattern must then agree with the validator.
    accepted = True
    try:
        CostRecorded.model_validate_json(message("cost.recorded", model=value))
    except ValidationError:
        accepted = False
    assert accepted == bool(re.fullmatch(NON_BLANK_TEXT_PATTERN, value.strip(WHITE_SPACE)))


@pytest.mark.parametrize(
    "evidence",
    [{"k": "a\u0000"}, {"a\u0000": 1}, {"k": [{"deep": ["\u0000"]}]}],
    ids=["value", "key", "nested"],
)
def test_nul_anywhere_in_evidence_is_a_schema_violation(evidence: dict[str, Any]) -> None:
    assert refusal(message("killswitch.triggered", evidence=evidence)) == (
        DlqReason.SCHEMA_VIOLATION, "evidence: must not contain the NUL character (U+0000)")  # fmt: skip


def test_an_escaped_backslash_u0000_in_evidence_is_plain_text() -> None:
    event = decode_event(message("killswitch.triggered", evidence={"k": "\\u0000"}))
    assert event.evidence == {"k": "\\u0000"}


@pytest.mark.parametrize(
    ("event_type", "field"),
    [("cost.recorded", "input_tokens"), ("cost.recorded", "output_tokens"),
     ("cost.recorded", "step_index"), ("cost.recorded", "duration_ms"),
     ("killswitch.triggered", "calls_affected")],
)  # fmt: skip
def test_counts_fit_a_postgres_integer(event_type: str, field: str) -> None:
    assert getattr(decode_event(message(event_type, **{field: MAX_COUNT})), field) == MAX_COUNT
    for beyond in (MAX_COUNT + 1, 2**63 - 1, 2**64 - 1):
        assert refusal(message(event_type, **{field: beyond})) == (
            DlqReason.SCHEMA_VIOLATION, f"{field}: Input should be less than or equal to {MAX_COUNT}")  # fmt: skip
    # Beyond 64 bits JSON readers give a float, which a strict integer field refuses.
    assert refusal(message(event_type, **{field: 10**30})) == (
        DlqReason.SCHEMA_VIOLATION, f"{field}: Input should be a valid integer")  # fmt: skip


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-00:01"])
@pytest.mark.parametrize("field", ["occurred_at", "window_start", "window_end"])
def test_an_instant_outside_the_calendar_in_utc_is_a_schema_violation(
    field: str, stamp: str
) -> None:
    code, text = refusal(message("cost.anomaly_detected", **{field: stamp}))
    assert code is DlqReason.SCHEMA_VIOLATION
    assert text.startswith(f"{field}: is outside the years 0001-9999 once converted to UTC")


def test_the_calendars_edges_in_utc_are_accepted() -> None:
    for stamp in ("0001-01-01T00:00:00Z", "0001-01-01T01:00:00+01:00", "9999-12-31T23:59:59Z"):
        assert decode_event(message("cost.recorded", occurred_at=stamp)).occurred_at.year in (
            1,
            9999,
        )


def test_an_anomaly_entity_type_fits_its_column() -> None:
    assert decode_event(message("cost.anomaly_detected", entity_type="e" * 32))
    assert refusal(message("cost.anomaly_detected", entity_type="e" * 33)) == (
        DlqReason.SCHEMA_VIOLATION, "entity_type: String should have at most 32 characters")  # fmt: skip


@pytest.mark.parametrize(
    ("field", "edge", "beyond"),
    [("deviation_pct", "999999999999.99", "999999999999.995"),
     ("deviation_pct", "-999999999999.99", "-1e12"),
     ("threshold", "99999999999999.999999", "99999999999999.9999995")],
)  # fmt: skip
def test_anomaly_numbers_fit_their_columns(field: str, edge: str, beyond: str) -> None:
    assert (
        str(getattr(decode_event(message("cost.anomaly_detected", **{field: edge})), field)) == edge
    )
    code, text = refusal(message("cost.anomaly_detected", **{field: beyond}))
    assert code is DlqReason.SCHEMA_VIOLATION
    assert text.startswith(f"{field}: Input should be")


@pytest.mark.parametrize("field", ["name", "url", "actor_id"])
def test_channel_commands_refuse_nul_too(field: str) -> None:
    body = {"event_id": str(uuid.uuid4()), "event_type": "notification_channel.create",
            "tenant_id": "t1", "occurred_at": NOW, "channel_id": str(uuid.uuid4()),
            "name": "n", "kind": "webhook", "url": "https://example.com/hook",
            "secret": "whsec_" + "A" * 43 + "=", "actor_id": "a"}  # fmt: skip
    assert isinstance(decode_command(json.dumps(body).encode()), NotificationChannelCreate)
    with pytest.raises(ContractViolation) as caught:
        decode_command(json.dumps(body | {field: "x\u0000yzabcdefgh"}).encode())
    assert caught.value.message == f"{field}: must not contain the NUL character (U+0000)"
