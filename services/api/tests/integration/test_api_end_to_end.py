"""Events on Kafka → the real ingest service → read and commanded over HTTP."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer

from guard_contracts.events import CostRecorded, KillswitchTriggered
from guard_contracts.topics import Topics
from guard_contracts.wire import encode
from guard_devtools.services import eventually

from .conftest import auth

pytestmark = pytest.mark.integration
BASE = "/api/v1/incidents"


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def producer(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    kafka = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await kafka.start()
    try:
        yield kafka
    finally:
        await kafka.stop()


async def open_incident(
    producer: AIOKafkaProducer, topics: Topics, tenant_id: str, run_id: str
) -> None:
    """Two model calls of a run, then a budget killswitch that stops it."""
    now = datetime.now(UTC) - timedelta(seconds=30)
    for step in range(2):
        cost = CostRecorded(
            event_id=uuid.uuid4(),
            tenant_id=tenant_id,
            occurred_at=now + timedelta(seconds=step),
            run_id=run_id,
            step_index=step,
            agent_id="agent-1",
            model="claude-test",
            input_tokens=100,
            output_tokens=20,
            cost_usd=Decimal("0.125"),
            duration_ms=900,
        )
        await producer.send_and_wait(topics.cost_events, encode(cost), key=tenant_id.encode())
    trigger = KillswitchTriggered(
        event_id=uuid.uuid4(),
        tenant_id=tenant_id,
        occurred_at=now + timedelta(seconds=5),
        killswitch_id=f"ks-{uuid.uuid4().hex[:6]}",
        trigger_type="budget_breach",
        action="stopped",
        run_id=run_id,
        agent_id="agent-1",
        policy_id="budget-daily",
        cost_delta_usd=Decimal("2.5"),
        calls_affected=3,
    )
    await producer.send_and_wait(topics.killswitch_events, encode(trigger), key=tenant_id.encode())


async def wait_for_incident(client, tenant_id: str) -> dict:
    async def active() -> list[dict]:
        return (await client.get(f"{BASE}/active", headers=auth(tenant_id))).json()["items"]

    items = await eventually(active, lambda got: len(got) == 1, within_s=30)
    return items[0]


async def test_ingested_incident_reads_back_with_evidence_and_verified_proof(
    ingest_service, client, producer, topics, tenant_id
) -> None:
    await open_incident(producer, topics, tenant_id, "run-e2e")
    item = await wait_for_incident(client, tenant_id)
    assert (item["severity"], item["category"], item["llm_run_id"]) == (
        "critical", "BUDGET_EXCEEDED", "run-e2e",
    )  # fmt: skip
    assert item["cost_impact_usd"] == 2.5
    incident = item["incident_id"]
    detail = (await client.get(f"{BASE}/{incident}", headers=auth(tenant_id))).json()
    assert detail["lifecycle_state"] == "ACTIVE"

    async def evidence() -> dict:
        answer = await client.get(f"{BASE}/{incident}/evidence", headers=auth(tenant_id))
        return answer.json()["data"]

    data = await eventually(evidence, lambda d: d["source_run"]["step_count"] == 2)
    assert data["source_run"]["total_cost_usd"] == 0.25
    assert data["policies_triggered"][0]["policy_id"] == "budget-daily"
    proof = (await client.get(f"{BASE}/{incident}/proof", headers=auth(tenant_id))).json()["data"]
    assert proof["integrity"]["verification_status"] == "VERIFIED"
    assert proof["integrity"]["event_count"] >= 1
    assert proof["timeline"][0]["entry_type"] == "created"
    by_run = (await client.get(f"{BASE}/by-run/run-e2e", headers=auth(tenant_id))).json()
    assert [i["incident_id"] for i in by_run["incidents"]] == [incident]


async def test_acknowledge_then_resolve_round_trip(
    ingest_service, client, producer, topics, tenant_id
) -> None:
    await open_incident(producer, topics, tenant_id, "run-cmd")
    incident = (await wait_for_incident(client, tenant_id))["incident_id"]
    operator = auth(tenant_id, subject="alice")

    async def detail() -> dict:
        return (await client.get(f"{BASE}/{incident}", headers=operator)).json()

    before = datetime.now(UTC)
    ack = await client.post(
        f"{BASE}/{incident}/acknowledge", json={"notes": "on it"}, headers=operator
    )
    after = datetime.now(UTC)
    assert ack.status_code == 202, ack.text
    assert uuid.UUID(ack.json()["command_id"])
    acked = await eventually(detail, lambda d: d["lifecycle_state"] == "ACKED")
    assert acked["acked_by"] == "alice"
    assert before <= datetime.fromisoformat(acked["acked_at"]) <= after

    before = datetime.now(UTC)
    resolve = await client.post(
        f"{BASE}/{incident}/resolve", json={"resolution_method": "rollback"}, headers=operator
    )
    after = datetime.now(UTC)
    assert resolve.status_code == 202
    assert resolve.json()["command_id"] != ack.json()["command_id"]
    resolved = await eventually(detail, lambda d: d["lifecycle_state"] == "RESOLVED")
    assert (resolved["resolved_by"], resolved["resolution_method"]) == ("alice", "rollback")
    assert before <= datetime.fromisoformat(resolved["resolved_at"]) <= after
    assert resolved["acked_at"] == acked["acked_at"]

    # RESOLVED is final: acknowledging now is refused up front; resolving again is accepted.
    again = await client.post(f"{BASE}/{incident}/acknowledge", headers=operator)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "illegal_transition"
    assert (await client.post(f"{BASE}/{incident}/resolve", headers=operator)).status_code == 202
    proof = (await client.get(f"{BASE}/{incident}/proof", headers=operator)).json()["data"]
    assert proof["integrity"]["verification_status"] == "VERIFIED"
    kinds = [entry["entry_type"] for entry in proof["timeline"]]
    assert "acknowledged" in kinds
    assert "resolved" in kinds


async def test_another_tenant_gets_nothing_from_any_endpoint(
    ingest_service, client, producer, topics
) -> None:
    owner, intruder = f"own-{uuid.uuid4().hex[:8]}", f"oth-{uuid.uuid4().hex[:8]}"
    await open_incident(producer, topics, owner, "run-secret")
    await open_incident(producer, topics, intruder, "run-mine")
    incident = (await wait_for_incident(client, owner))["incident_id"]
    await wait_for_incident(client, intruder)
    other = auth(intruder)
    for path in ("", "/evidence", "/proof", "/learnings"):
        answer = await client.get(f"{BASE}/{incident}{path}", headers=other)
        assert answer.status_code == 404, path
    for command in ("acknowledge", "resolve"):
        answer = await client.post(f"{BASE}/{incident}/{command}", headers=other)
        assert answer.status_code == 404, command
    by_run = (await client.get(f"{BASE}/by-run/run-secret", headers=other)).json()
    assert by_run["total"] == 0
    assert by_run["incidents"] == []
    for listing in ("", "/active", "/resolved", "/historical"):
        body = (await client.get(f"{BASE}{listing}", headers=other)).json()
        assert incident not in [i["incident_id"] for i in body["items"]], listing
        assert {i["tenant_id"] for i in body["items"]} <= {intruder}
        assert body["filters_applied"]["tenant_id"] == intruder
    # The owner's incident is untouched by the intruder's attempts.
    detail = (await client.get(f"{BASE}/{incident}", headers=auth(owner))).json()
    assert detail["lifecycle_state"] == "ACTIVE"
