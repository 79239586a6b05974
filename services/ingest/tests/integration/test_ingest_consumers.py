"""Every ingest consumer against the real Kafka and Postgres (docs/product/events.md, docs/product/incidents.md)."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from guard_contracts.chain import verify_chain
from guard_contracts.outputs import IncidentChanged
from guard_contracts.topics import Topics
from guard_devtools.services import RunningIngest, eventually

from .ingest_kafka_helpers import cost, event, produce, read_topic, trigger

pytestmark = pytest.mark.integration
Db = asyncpg.Connection


async def incidents_of(db: Db, tenant: str) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT * FROM incidents WHERE tenant_id = $1 ORDER BY created_at, incident_id", tenant
    )


async def test_cost_events_are_stored_exactly_and_duplicates_skipped(
    ingest_service: RunningIngest, kafka_bootstrap: str, topics: Topics, db: Db, tenant_id: str
) -> None:
    first = cost(tenant_id, "0.000001", run_id="r1", step_index=0, status="ok")
    events = [first, cost(tenant_id, "12.5"), cost(tenant_id, 3), first]
    await produce(kafka_bootstrap, topics.cost_events, events, tenant_id)
    rows = await eventually(
        lambda: db.fetch("SELECT * FROM cost_events WHERE tenant_id = $1", tenant_id),
        lambda rows: len(rows) >= 3,
    )
    assert len(rows) == 3
    assert sum(r["cost_micros"] for r in rows) == 15_500_001
    by_id = {str(r["event_id"]): r for r in rows}
    assert by_id[first["event_id"]]["run_id"] == "r1"


async def test_killswitch_events_group_escalate_and_release(
    ingest_service: RunningIngest, kafka_bootstrap: str, topics: Topics, db: Db, tenant_id: str
) -> None:
    opening = trigger(tenant_id, calls_affected=5, cost_delta_usd="1.5", run_id="run-9",
                      trigger_type="rate_limit")  # fmt: skip
    joining = trigger(
        tenant_id, calls_affected=50, cost_delta_usd="0.25", trigger_type="rate_limit"
    )
    release = event("killswitch.released", tenant_id, killswitch_id=opening["killswitch_id"],
                    actor_id="ops-1")  # fmt: skip
    await produce(kafka_bootstrap, topics.killswitch_events, [opening, joining, release], tenant_id)
    rows = await eventually(lambda: incidents_of(db, tenant_id),
                            lambda rows: bool(rows) and rows[0]["lifecycle_state"] == "RESOLVED")  # fmt: skip
    assert len(rows) == 1
    incident = rows[0]
    assert incident["severity"] == "high"  # rate_limit starts medium; 55 calls escalate to high
    assert incident["event_count"] == 2
    assert incident["calls_affected"] == 55
    assert incident["cost_impact_micros"] == 1_750_000
    assert incident["resolution_method"] == "released"
    assert incident["resolved_by"] == "ops-1"
    assert incident["cause_type"] == "LLM_RUN"
    timeline = await db.fetch(
        "SELECT * FROM incident_events WHERE incident_id = $1 ORDER BY sequence",
        incident["incident_id"],
    )
    assert [t["entry_type"] for t in timeline] == [
        "created",
        "event_attached",
        "severity_escalated",
        "resolved",
    ]
    links = [({"sequence": t["sequence"], "entry_type": t["entry_type"],
               "occurred_at": t["occurred_at"].isoformat(),
               "source_event_id": str(t["source_event_id"]) if t["source_event_id"] else None,
               "data": t["data"] if isinstance(t["data"], dict) else json.loads(t["data"])},
              t["prev_hash"], t["hash"]) for t in timeline]  # fmt: skip
    verdict = verify_chain(links)
    assert verdict.verified
    assert verdict.root_hash == incident["timeline_head"]
    stored = await db.fetch(
        "SELECT event_type, incident_id, raw FROM killswitch_events WHERE tenant_id = $1", tenant_id
    )
    assert {r["incident_id"] for r in stored} == {incident["incident_id"]}
    assert (
        json.loads(next(r["raw"] for r in stored if r["event_type"] == "killswitch.released"))[
            "actor_id"
        ]
        == "ops-1"
    )


async def test_changes_are_published_after_commit(
    ingest_service: RunningIngest, kafka_bootstrap: str, topics: Topics, db: Db, tenant_id: str
) -> None:
    await produce(kafka_bootstrap, topics.killswitch_events, [trigger(tenant_id)], tenant_id)
    records = await read_topic(kafka_bootstrap, topics.incident_changes, tenant_id, 1)
    assert len(records) == 1
    change = IncidentChanged.model_validate_json(records[0].value)
    assert change.change_type == "created"
    assert change.sequence == 1
    assert change.incident.tenant_id == tenant_id
    assert change.event_id == IncidentChanged.id_for(change.incident.incident_id, 1)
    # the relay deletes what it published once the broker acknowledged it
    await eventually(lambda: db.fetchval("SELECT count(*) FROM outbox"), lambda n: n == 0)


async def test_commands_acknowledge_resolve_and_repeat(
    ingest_service: RunningIngest, kafka_bootstrap: str, topics: Topics, db: Db, tenant_id: str
) -> None:
    await produce(kafka_bootstrap, topics.killswitch_events, [trigger(tenant_id)], tenant_id)
    rows = await eventually(lambda: incidents_of(db, tenant_id), bool)
    iid = str(rows[0]["incident_id"])
    ack = event("incident.acknowledge", tenant_id, incident_id=iid, actor_id="alice")
    commands = [ack, ack, event("incident.acknowledge", tenant_id, incident_id=iid, actor_id="bob"),
                event("incident.resolve", tenant_id, incident_id=iid, actor_id="bob",
                      resolution_method="rollback", notes="rolled back"),
                event("incident.resolve", tenant_id, incident_id=iid, actor_id="carol")]  # fmt: skip
    await produce(kafka_bootstrap, topics.incident_commands, commands, tenant_id)
    rows = await eventually(lambda: incidents_of(db, tenant_id),
                            lambda rows: rows[0]["lifecycle_state"] == "RESOLVED")  # fmt: skip
    incident = rows[0]
    assert incident["acked_by"] == "alice"
    assert incident["resolved_by"] == "bob"
    assert incident["resolution_method"] == "rollback"
    outcomes = await db.fetch(
        "SELECT outcome FROM processed_events WHERE tenant_id = $1 ORDER BY occurred_at", tenant_id
    )
    assert sorted(r["outcome"] for r in outcomes) == ["applied", "applied", "noop", "noop"]
    entries = await db.fetch(
        "SELECT entry_type FROM incident_events WHERE incident_id = $1 ORDER BY sequence",
        incident["incident_id"],
    )
    assert [e["entry_type"] for e in entries] == ["created", "acknowledged", "resolved"]


async def test_budget_set_keeps_latest_by_event_time(
    ingest_service: RunningIngest, kafka_bootstrap: str, topics: Topics, db: Db, tenant_id: str
) -> None:
    newer = event("budget.set", tenant_id, budget_type="tenant", entity_id=tenant_id,
                  monthly_limit_usd="500", hard_limit_enabled=True)  # fmt: skip
    older = event("budget.set", tenant_id, budget_type="tenant", entity_id=tenant_id,
                  monthly_limit_usd="100", hard_limit_enabled=False,
                  occurred_at="2026-01-01T00:00:00+00:00")  # fmt: skip
    await produce(kafka_bootstrap, topics.budgets, [newer, older], tenant_id)
    await eventually(
        lambda: db.fetchval(
            "SELECT count(*) FROM processed_events WHERE tenant_id = $1", tenant_id
        ),
        lambda n: n == 2,
    )
    budget = await db.fetchrow("SELECT * FROM budgets WHERE tenant_id = $1", tenant_id)
    assert budget["monthly_limit_micros"] == 500_000_000
    assert budget["hard_limit_enabled"] is True
    assert budget["warn_threshold_pct"] == 80


async def test_cost_anomalies_are_stored_and_high_ones_open_incidents(
    ingest_service: RunningIngest, kafka_bootstrap: str, topics: Topics, db: Db, tenant_id: str
) -> None:
    def anomaly(severity: str, current: str) -> dict[str, Any]:
        return event("cost.anomaly_detected", tenant_id, anomaly_type="cost_spike",
                     entity_type="feature", entity_id="search", current_usd=current,
                     expected_usd="100", deviation_pct="60", threshold="1.4", severity=severity,
                     window_start="2026-01-01T00:00:00+00:00",
                     window_end="2026-01-02T00:00:00+00:00")  # fmt: skip

    first = anomaly("medium", "120")
    events = [first, anomaly("high", "160"), anomaly("critical", "130"), first]
    await produce(kafka_bootstrap, topics.cost_anomalies, events, tenant_id)
    rows = await eventually(
        lambda: db.fetch("SELECT * FROM cost_anomalies WHERE tenant_id = $1 ORDER BY detected_at",
                         tenant_id),
        lambda rows: len(rows) >= 3,
    )  # fmt: skip
    assert len(rows) == 3
    incidents = await incidents_of(db, tenant_id)
    assert len(incidents) == 1
    incident = incidents[0]
    assert incident["category"] == "COST_ANOMALY"
    assert incident["severity"] == "critical"
    assert incident["cost_impact_micros"] == 60_000_000
    linked = {r["severity"]: r["incident_id"] for r in rows}
    assert linked["medium"] is None
    assert linked["high"] == linked["critical"] == incident["incident_id"]


async def test_idle_incidents_are_auto_resolved_by_the_sweep(
    ingest_service: RunningIngest, kafka_bootstrap: str, topics: Topics, db: Db, tenant_id: str
) -> None:
    await produce(kafka_bootstrap, topics.killswitch_events, [trigger(tenant_id)], tenant_id)
    rows = await eventually(lambda: incidents_of(db, tenant_id), bool)
    last = rows[0]["last_event_at"]
    service = ingest_service.service
    # Caught up (the batch's offsets committed), the wall clock counts, less the allowed lateness.
    assert await service.auto_resolve_once(now=last + timedelta(seconds=901)) == 0
    later = last + timedelta(seconds=901) + service.lateness
    await eventually(lambda: service.auto_resolve_once(now=later), lambda n: n >= 1)
    incident = (await incidents_of(db, tenant_id))[0]
    assert incident["lifecycle_state"] == "RESOLVED"
    assert incident["resolved_at"] == last + timedelta(seconds=900)
    assert incident["resolved_by"] == "system_auto_resolve"
    assert incident["resolution_method"] == "auto"
    assert uuid.UUID(str(incident["incident_id"]))


async def test_concurrent_sweeps_resolve_each_incident_once(
    ingest_service: RunningIngest, kafka_bootstrap: str, topics: Topics, db: Db, tenant_id: str
) -> None:
    """Two sweeps at once (as two replicas would run them) share the work via SKIP LOCKED."""
    triggers = [trigger(tenant_id, agent_id=f"agent-{i}") for i in range(30)]
    await produce(kafka_bootstrap, topics.killswitch_events, triggers, tenant_id)
    rows = await eventually(lambda: incidents_of(db, tenant_id), lambda rows: len(rows) == 21)
    sweep = ingest_service.service.auto_resolve_once
    later = max(r["last_event_at"] for r in rows) + timedelta(seconds=901)
    later += ingest_service.service.lateness
    await eventually(lambda: ingest_service.service.lag.refresh(), lambda lag: not any(
        n for tp, n in lag.items() if tp.topic == topics.killswitch_events))  # fmt: skip
    await asyncio.gather(sweep(now=later), sweep(now=later), sweep(now=later))
    entries = await db.fetch(
        "SELECT incident_id, count(*) AS n FROM incident_events WHERE tenant_id = $1 "
        "AND entry_type = 'auto_resolved' GROUP BY incident_id",
        tenant_id,
    )
    states = {r["lifecycle_state"] for r in await incidents_of(db, tenant_id)}
    assert states == {"RESOLVED"}
    assert len(entries) == 21  # 20 incidents and the flood overflow incident
    assert {r["n"] for r in entries} == {1}
