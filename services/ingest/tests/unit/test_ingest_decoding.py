"""decode_records: future events and cost rows.

At every offset around the clock-skew limit (and in every offset notation) the decoder
dead-letters exactly what ``check_not_future`` says, with its message; the cost rows are the
columns of the event as before.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import orjson
from aiokafka import ConsumerRecord
from hypothesis import given, settings
from hypothesis import strategies as st

from guard_contracts.events import CostRecorded
from guard_contracts.money import usd_to_micros
from guard_contracts.wire import ContractViolation, check_not_future
from guard_ingest.adapters.decoding import DecodePolicy, decode_records
from guard_ingest.adapters.mapping import cost_row

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
POLICY = DecodePolicy(
    max_bytes=256 * 1024,
    clock_skew=timedelta(minutes=5),
    allowed={"cost": frozenset({"cost.recorded"})},
)


def record(offset: int, value: bytes | None) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord("cost", 0, offset, 0, 0, b"t1", value, None, 2, len(value or b""), [])


def cost_event(occurred_at: str, **fields: object) -> bytes:
    body = {"event_type": "cost.recorded", "event_id": str(uuid.uuid4()), "tenant_id": "t1",
            "occurred_at": occurred_at, "model": "m", "input_tokens": 1, "output_tokens": 2,
            "cost_usd": "0.000123"} | fields  # fmt: skip
    return orjson.dumps(body)


def expected_future(occurred_at: datetime) -> str | None:
    try:
        check_not_future(occurred_at, NOW, POLICY.clock_skew)
    except ContractViolation as exc:
        return exc.message
    return None


@settings(derandomize=True, max_examples=300)
@given(
    st.integers(-3, 3) | st.integers(-(10**9), 10**9),
    st.sampled_from(["+00:00", "+02:00", "-09:30", "Z"]),
)
def test_future_events_are_dead_lettered_exactly_as_before(micros: int, offset: str) -> None:
    at = NOW + POLICY.clock_skew + timedelta(microseconds=micros)
    stamp = at.astimezone(datetime.fromisoformat(f"2026-01-01T00:00:00{offset}").tzinfo)
    text = stamp.isoformat().replace("+00:00", "Z") if offset == "Z" else stamp.isoformat()
    decoded = decode_records([record(0, cost_event(text))], POLICY, NOW)
    message = expected_future(at)
    if message is None:
        assert len(decoded.events) == 1
        assert not decoded.dead
        assert decoded.events[0][1].occurred_at == at
    else:
        assert not decoded.events
        assert [(d.code, d.message) for d in decoded.dead] == [("future_event", message)]


def test_a_batch_keeps_its_order_and_its_dead_letters() -> None:
    late = (NOW + timedelta(minutes=5, microseconds=1)).isoformat()
    values = [
        cost_event(NOW.isoformat()),
        None,
        b"{",
        cost_event(late),
        cost_event("2026-11-28T11:00:00Z"),
    ]
    decoded = decode_records([record(i, v) for i, v in enumerate(values)], POLICY, NOW)
    assert [r.offset for r, _ in decoded.events] == [0, 4]
    assert [(d.source_offset, d.code) for d in decoded.dead] == [
        (1, "malformed_json"), (2, "malformed_json"), (3, "future_event")]  # fmt: skip


@settings(derandomize=True, max_examples=300)
@given(
    st.decimals(min_value=0, max_value=1_000_000, places=6),
    st.sampled_from([None, "ok", "error"]),
)
def test_cost_rows_as_before(cost: Decimal, status: str | None) -> None:
    event = CostRecorded.model_validate_json(
        cost_event(NOW.isoformat(), cost_usd=str(cost), status=status)
    )
    e = event
    before = (
        e.tenant_id, e.event_id, e.occurred_at, e.run_id, e.step_index, e.agent_id, e.user_id,
        e.feature_tag, e.model, e.provider, e.input_tokens, e.output_tokens,
        usd_to_micros(e.cost_usd), e.duration_ms, e.status.value if e.status else None,
    )  # fmt: skip
    assert cost_row(event) == before
    assert [type(v) for v in cost_row(event)] == [type(v) for v in before]


def test_a_key_that_is_not_the_tenant_is_dead_lettered_and_no_key_is_accepted() -> None:
    """docs/product/events.md: the key is the tenant; ingest never compared them (fuzzing)."""
    other = ConsumerRecord("cost", 0, 0, 0, 0, b"t2", cost_event(NOW.isoformat()), None, 2, 1, [])
    keyless = ConsumerRecord("cost", 0, 1, 0, 0, None, cost_event(NOW.isoformat()), None, 2, 1, [])
    decoded = decode_records([other, keyless], POLICY, NOW)
    assert [r.offset for r, _ in decoded.events] == [1]
    assert [(d.code, d.message) for d in decoded.dead] == [
        ("tenant_key_mismatch", "the message key b't2' is not the event's tenant_id")]  # fmt: skip
