"""Every bad-input class of docs/product/events.md lands in the DLQ with its original bytes and reason headers,
the consumer keeps going, and the good messages of the same batch are applied."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest

from guard_contracts.events import KillswitchTriggered
from guard_contracts.topics import Topics
from guard_contracts.wire import DlqHeader
from guard_devtools.services import RunningIngest, eventually
from guard_ingest.engines.book import IncidentBook
from guard_ingest.engines.model import Outcome

from .ingest_kafka_helpers import cost, event, now_iso, produce, read_topic, trigger

pytestmark = pytest.mark.integration
Db = asyncpg.Connection


def _json(message: dict[str, Any]) -> bytes:
    return json.dumps(message).encode()


def _oversized(tenant: str) -> bytes:
    return _json(trigger(tenant, reason="x" * (300 * 1024)))


def _schema_violation(tenant: str) -> bytes:
    bad = trigger(tenant)
    del bad["action"]
    return _json(bad)


# (case, topic field, bad message builder, expected error code)
KILLSWITCH_CASES: list[tuple[str, Callable[[str], bytes], str]] = [
    ("malformed", lambda t: b'{"event_id": "not closed', "malformed_json"),
    ("schema", _schema_violation, "schema_violation"),
    ("unknown_type", lambda t: _json(event("killswitch.exploded", t)), "unknown_event_type"),
    ("future", lambda t: _json(trigger(t, occurred_at=now_iso(3600))), "future_event"),
    ("oversized", _oversized, "oversized_message"),
    ("unknown_killswitch",
     lambda t: _json(event("killswitch.released", t, killswitch_id="never-triggered")),
     "unknown_killswitch"),
    # Fuzzing findings: each decoded, failed in the database write (NUL in text or jsonb, an
    # integer or instant PostgreSQL cannot hold) and was dead-lettered as processing_failed
    # after three retries of its batch; now the contract refuses it, naming the field.
    ("nul_in_text", lambda t: _json(trigger(t, reason="a\u0000b")), "schema_violation"),
    ("nul_in_evidence", lambda t: _json(trigger(t, evidence={"k\u0000": 1})), "schema_violation"),
    ("instant_before_year_1",
     lambda t: _json(trigger(t, occurred_at="0001-01-01T00:00:00+01:00")), "schema_violation"),
    ("count_beyond_integer", lambda t: _json(trigger(t, calls_affected=2**31)),
     "schema_violation"),
    # Documented, never checked: a body for another tenant under this key was applied.
    ("key_mismatch", lambda t: _json(trigger(f"{t}-other")), "tenant_key_mismatch"),
]  # fmt: skip


async def _assert_dead_lettered(
    kafka_bootstrap: str, topics: Topics, source_topic: str, tenant: str, bad: bytes, code: str
) -> None:
    records = await read_topic(kafka_bootstrap, topics.dlq, tenant, 1)
    assert len(records) == 1
    record = records[0]
    headers = {k: v for k, v in record.headers}
    assert record.value == bad
    assert headers[DlqHeader.SOURCE_TOPIC.value] == source_topic.encode()
    assert headers[DlqHeader.ERROR_CODE.value] == code.encode()
    assert int(headers[DlqHeader.SOURCE_OFFSET.value]) >= 0
    assert headers[DlqHeader.SOURCE_PARTITION.value].isdigit()
    assert headers[DlqHeader.ERROR_MESSAGE.value]
    assert headers["trace-id"] == b"t-" + tenant.encode()  # the original headers travel along


@pytest.mark.parametrize(
    ("case", "make_bad", "code"), KILLSWITCH_CASES, ids=[c[0] for c in KILLSWITCH_CASES]
)
async def test_killswitch_topic_bad_input_goes_to_dlq(
    ingest_service: RunningIngest, kafka_bootstrap: str, topics: Topics, db: Db, tenant_id: str,
    case: str, make_bad: Callable[[str], bytes], code: str,
) -> None:  # fmt: skip
    bad = make_bad(tenant_id)
    good = [trigger(tenant_id, agent_id="before"), trigger(tenant_id, agent_id="after")]
    await produce(kafka_bootstrap, topics.killswitch_events, [good[0], bad, good[1]], tenant_id)
    await _assert_dead_lettered(
        kafka_bootstrap, topics, topics.killswitch_events, tenant_id, bad, code
    )
    rows = await eventually(
        lambda: db.fetch("SELECT affected_agent_id FROM incidents WHERE tenant_id = $1", tenant_id),
        lambda rows: len(rows) == 2,
    )
    assert {r["affected_agent_id"] for r in rows} == {"before", "after"}


@pytest.mark.parametrize(
    ("make_bad", "code"),
    [(lambda t: b"\xff\xfe not json", "malformed_json"),
     (lambda t: _json(cost(t, usd="0.0000001")), "schema_violation"),
     (lambda t: _json(trigger(t)), "unexpected_event_type"),
     (lambda t: _json(cost(t, user_id="u\u0000")), "schema_violation"),
     (lambda t: _json(cost(t, step_index=2**31)), "schema_violation")],
    ids=["malformed", "schema", "wrong_topic", "nul_in_text", "count_beyond_integer"],
)  # fmt: skip
async def test_cost_topic_bad_input_goes_to_dlq(
    ingest_service: RunningIngest, kafka_bootstrap: str, topics: Topics, db: Db, tenant_id: str,
    make_bad: Callable[[str], bytes], code: str,
) -> None:  # fmt: skip
    bad = make_bad(tenant_id)
    await produce(
        kafka_bootstrap, topics.cost_events, [cost(tenant_id), bad, cost(tenant_id)], tenant_id
    )
    await _assert_dead_lettered(kafka_bootstrap, topics, topics.cost_events, tenant_id, bad, code)
    await eventually(
        lambda: db.fetchval("SELECT count(*) FROM cost_events WHERE tenant_id = $1", tenant_id),
        lambda n: n == 2,
    )


@pytest.mark.parametrize(
    ("topic", "make_bad", "field"),
    [("budgets", lambda t: event("budget.set", t, budget_type="tenant", entity_id="e\u0000",
                                 hard_limit_enabled=True), "entity_id"),
     ("cost_anomalies", lambda t: event(
         "cost.anomaly_detected", t, anomaly_type="cost_spike", entity_type="e" * 33,
         entity_id="a", current_usd="2", expected_usd="1", threshold="1.4", severity="high",
         window_start=now_iso(-3600), window_end=now_iso()), "entity_type"),
     ("cost_anomalies", lambda t: event(
         "cost.anomaly_detected", t, anomaly_type="cost_spike", entity_type="agent",
         entity_id="a", current_usd="2", expected_usd="1", threshold="1.4", severity="high",
         deviation_pct="1e13", window_start=now_iso(-3600), window_end=now_iso()),
      "deviation_pct"),
     ("incident_commands", lambda t: event("incident.acknowledge", t,
                                           incident_id=str(uuid.uuid4()), actor_id="ops",
                                           notes="n\u0000"), "notes")],
    ids=["budget", "anomaly", "anomaly_deviation", "command"],
)  # fmt: skip
async def test_what_postgres_cannot_store_is_a_schema_violation_naming_the_field(
    ingest_service: RunningIngest, kafka_bootstrap: str, topics: Topics, tenant_id: str,
    topic: str, make_bad: Callable[[str], dict[str, Any]], field: str,
) -> None:  # fmt: skip
    """Before, these reached the database and came back as processing_failed with a driver
    error; the command's NUL even preempted its unknown incident."""
    bad = _json(make_bad(tenant_id))
    await produce(kafka_bootstrap, getattr(topics, topic), [bad], tenant_id)
    await _assert_dead_lettered(kafka_bootstrap, topics, getattr(topics, topic), tenant_id, bad,
                                "schema_violation")  # fmt: skip
    (record,) = await read_topic(kafka_bootstrap, topics.dlq, tenant_id, 1)
    message = dict(record.headers)[DlqHeader.ERROR_MESSAGE.value].decode()
    assert message.startswith(f"{field}: ")


async def _open_incidents(
    kafka_bootstrap: str, topics: Topics, db: Db, tenant: str, n: int
) -> list[str]:
    triggers = [trigger(tenant, agent_id=f"agent-{i}") for i in range(n)]
    await produce(kafka_bootstrap, topics.killswitch_events, triggers, tenant)
    rows = await eventually(
        lambda: db.fetch("SELECT incident_id, affected_agent_id FROM incidents WHERE tenant_id = $1",
                         tenant),
        lambda rows: len(rows) == n,
    )  # fmt: skip
    by_agent = {r["affected_agent_id"]: str(r["incident_id"]) for r in rows}
    return [by_agent[f"agent-{i}"] for i in range(n)]


async def _states(db: Db, ids: list[str]) -> list[str]:
    rows = await db.fetch(
        "SELECT incident_id, lifecycle_state FROM incidents WHERE incident_id = ANY($1::uuid[])",
        [uuid.UUID(i) for i in ids],
    )
    by_id = {str(r["incident_id"]): r["lifecycle_state"] for r in rows}
    return [by_id[i] for i in ids]


@pytest.mark.parametrize("code", ["unknown_incident", "illegal_transition"])
async def test_command_bad_reference_goes_to_dlq(
    ingest_service: RunningIngest, kafka_bootstrap: str, topics: Topics, db: Db, tenant_id: str,
    code: str,
) -> None:  # fmt: skip
    a, b, done = await _open_incidents(kafka_bootstrap, topics, db, tenant_id, 3)
    resolve = event("incident.resolve", tenant_id, incident_id=done, actor_id="ops")
    await produce(kafka_bootstrap, topics.incident_commands, [resolve], tenant_id)
    await eventually(lambda: _states(db, [done]), lambda s: s == ["RESOLVED"])
    target = str(uuid.uuid4()) if code == "unknown_incident" else done
    bad = _json(event("incident.acknowledge", tenant_id, incident_id=target, actor_id="ops"))
    batch = [event("incident.acknowledge", tenant_id, incident_id=a, actor_id="ops"), bad,
             event("incident.acknowledge", tenant_id, incident_id=b, actor_id="ops")]  # fmt: skip
    await produce(kafka_bootstrap, topics.incident_commands, batch, tenant_id)
    await _assert_dead_lettered(
        kafka_bootstrap, topics, topics.incident_commands, tenant_id, bad, code
    )
    assert await eventually(lambda: _states(db, [a, b, done]),
                            lambda s: s == ["ACKED", "ACKED", "RESOLVED"])  # fmt: skip


async def test_another_tenants_incident_is_unknown(
    ingest_service: RunningIngest, kafka_bootstrap: str, topics: Topics, db: Db, tenant_id: str
) -> None:
    (theirs,) = await _open_incidents(kafka_bootstrap, topics, db, tenant_id, 1)
    intruder = f"{tenant_id}-other"
    bad = _json(event("incident.resolve", intruder, incident_id=theirs, actor_id="mallory"))
    await produce(kafka_bootstrap, topics.incident_commands, [bad], intruder)
    await _assert_dead_lettered(kafka_bootstrap, topics, topics.incident_commands, intruder, bad,
                                "unknown_incident")  # fmt: skip
    assert await _states(db, [theirs]) == ["ACTIVE"]


async def test_a_record_that_keeps_failing_is_isolated_and_dead_lettered(
    ingest_service: RunningIngest, kafka_bootstrap: str, topics: Topics, db: Db, tenant_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """A processing bug on one record must not stop the consumer (docs/product/events.md: never stops)."""
    original = IncidentBook.triggered

    def explode_on_boom(self: IncidentBook, event: KillswitchTriggered) -> Outcome:
        if event.agent_id == "boom":
            raise RuntimeError("simulated engine bug")
        return original(self, event)

    monkeypatch.setattr(IncidentBook, "triggered", explode_on_boom)
    bad = _json(trigger(tenant_id, agent_id="boom"))
    good = [trigger(tenant_id, agent_id="before"), trigger(tenant_id, agent_id="after")]
    await produce(kafka_bootstrap, topics.killswitch_events, [good[0], bad, good[1]], tenant_id)
    await _assert_dead_lettered(kafka_bootstrap, topics, topics.killswitch_events, tenant_id, bad,
                                "processing_failed")  # fmt: skip
    rows = await eventually(
        lambda: db.fetch("SELECT affected_agent_id FROM incidents WHERE tenant_id = $1", tenant_id),
        lambda rows: len(rows) == 2,
    )
    assert {r["affected_agent_id"] for r in rows} == {"before", "after"}
