"""Detail, timeline, evidence (O4), proof (O5) and learnings over HTTP against arranged rows."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest

from guard_api.adapters.auth import Principal
from guard_api.adapters.errors import ApiError
from guard_api.adapters.gateway import Gateway
from guard_api.config import Environment

from .conftest import T0, api_settings, auth, insert_timeline, running_client

pytestmark = pytest.mark.integration
BASE = "/api/v1/incidents"


async def test_detail_has_every_field(client, tenant_id, insert_incident) -> None:
    incident = await insert_incident(
        tenant_id,
        cost_impact_micros=1_234_567,
        acked_at=T0,
        acked_by="bob",
        lifecycle_state="ACKED",
    )
    response = await client.get(f"{BASE}/{incident}", headers=auth(tenant_id))
    assert response.status_code == 200
    body = response.json()
    assert body["cost_impact_usd"] == 1.234567
    assert body["acked_by"] == "bob"
    for name in ("description", "source_type", "fingerprint", "first_event_at", "recurrence_of",
                 "resolved_by", "resolution_method", "error_code", "updated_at"):  # fmt: skip
        assert name in body


async def test_another_tenants_incident_is_not_found_like_a_missing_one(
    client, tenant_id, insert_incident
) -> None:
    theirs = await insert_incident(tenant_id)
    intruder = auth("someone-else")
    for suffix in ("", "/timeline", "/evidence", "/proof", "/learnings"):
        other = await client.get(f"{BASE}/{theirs}{suffix}", headers=intruder)
        missing = await client.get(f"{BASE}/{uuid.uuid4()}{suffix}", headers=intruder)
        assert other.status_code == missing.status_code == 404
        assert other.json() == missing.json()
        assert other.json()["error"]["code"] == "not_found"


async def _arrange_run(db, tenant_id: str, incident: uuid.UUID) -> None:
    for step in range(3):
        await db.execute(
            "INSERT INTO cost_events (tenant_id, event_id, occurred_at, run_id, step_index,"
            " agent_id, model, input_tokens, output_tokens, cost_micros, duration_ms, status)"
            " VALUES ($1, $2, $3, 'run-1', $4, 'agent-1', 'claude-x', 100, 50, 250000, 1000, 'ok')",
            tenant_id, uuid.uuid4(), T0 + timedelta(seconds=step), step,
        )  # fmt: skip
    raw = {"event_type": "killswitch.triggered", "killswitch_id": "ks-1"}
    await db.execute(
        "INSERT INTO killswitch_events (tenant_id, event_id, event_type, occurred_at,"
        " killswitch_id, trigger_type, action, run_id, policy_id, rule, reason, calls_affected,"
        " incident_id, raw) VALUES ($1, $2, 'killswitch.triggered', $3, 'ks-1', 'budget_breach',"
        " 'stopped', 'run-1', 'p1', 'spend > 10', 'over budget', 3, $4, $5)",
        tenant_id, uuid.uuid4(), T0, incident, json.dumps(raw).encode(),
    )  # fmt: skip


async def test_evidence_gathers_run_policies_related_and_suggestions(
    client, db, tenant_id, insert_incident
) -> None:
    incident = await insert_incident(
        tenant_id, llm_run_id="run-1", category="BUDGET_EXCEEDED", trigger_type="budget_breach"
    )
    sibling = await insert_incident(tenant_id, llm_run_id="run-1", fingerprint="other")
    await _arrange_run(db, tenant_id, incident)
    response = await client.get(
        f"{BASE}/{incident}/evidence", headers={**auth(tenant_id), "X-Request-ID": "req-42"}
    )
    assert response.status_code == 200, response.text
    envelope = response.json()
    assert envelope["success"] is True
    assert envelope["meta"]["request_id"] == "req-42"
    data = envelope["data"]
    run = data["source_run"]
    assert (run["run_id"], run["agent_id"], run["step_count"]) == ("run-1", "agent-1", 3)
    assert [s["step_index"] for s in run["steps"]] == [0, 1, 2]
    assert run["total_cost_usd"] == 0.75
    assert run["total_input_tokens"] == 300
    policy = data["policies_triggered"][0]
    assert (policy["trigger_type"], policy["action"], policy["rule"]) == (
        "budget_breach", "stopped", "spend > 10",
    )  # fmt: skip
    assert [r["incident_id"] for r in data["related_incidents"]] == [str(sibling)]
    assert "review_budget" in [s["action"] for s in data["recovery_suggestions"]]


async def test_proof_verifies_the_chain_and_sees_a_tampered_row(
    client, db, tenant_id, insert_incident
) -> None:
    incident = await insert_incident(tenant_id, llm_run_id="run-1")
    await _arrange_run(db, tenant_id, incident)
    await insert_timeline(db, tenant_id, incident, entries=4)
    intact = (await client.get(f"{BASE}/{incident}/proof", headers=auth(tenant_id))).json()["data"]
    assert intact["integrity"]["verification_status"] == "VERIFIED"
    assert intact["integrity"]["event_count"] == 4
    head = await db.fetchval(
        "SELECT hash FROM incident_events WHERE incident_id = $1 AND sequence = 4", incident
    )
    assert intact["integrity"]["root_hash"] == head
    assert len(intact["traces"]) == 3
    assert intact["raw_logs"][0]["payload"]["killswitch_id"] == "ks-1"
    assert [e["sequence"] for e in intact["timeline"]] == [1, 2, 3, 4]
    # The timeline alone: the same entries, oldest first, without the chain's hashes.
    plain = (await client.get(f"{BASE}/{incident}/timeline", headers=auth(tenant_id))).json()
    assert plain["incident_id"] == str(incident)
    assert plain["entries"] == [
        {k: v for k, v in e.items() if k not in ("prev_hash", "hash")} for e in intact["timeline"]
    ]

    await db.execute(
        "UPDATE incident_events SET data = jsonb_set(data, '{calls_affected}', '500')"
        " WHERE incident_id = $1 AND sequence = 2",
        incident,
    )
    tampered = (await client.get(f"{BASE}/{incident}/proof", headers=auth(tenant_id))).json()
    assert tampered["data"]["integrity"]["verification_status"] == "TAMPERED"
    assert tampered["data"]["integrity"]["first_broken_sequence"] == 2


async def test_learnings_summarise_and_learn_from_similar(
    client, tenant_id, insert_incident
) -> None:
    def resolved(hours: int, method: str, fingerprint: str = "fp-a") -> dict:
        return {
            "fingerprint": fingerprint,
            "lifecycle_state": "RESOLVED",
            "resolved_at": T0 + timedelta(hours=hours),
            "resolution_method": method,
        }

    me = await insert_incident(tenant_id, event_count=4, **resolved(1, "rollback"))
    await insert_incident(tenant_id, **resolved(2, "rollback"))
    await insert_incident(tenant_id, **resolved(4, "released"))
    await insert_incident(tenant_id, **resolved(3, "rollback", fingerprint="fp-b"))
    await insert_incident(tenant_id, fingerprint="fp-a")  # open: never "similar"
    body = (await client.get(f"{BASE}/{me}/learnings", headers=auth(tenant_id))).json()
    summary = body["resolution_summary"]
    assert summary["resolution_method"] == "rollback"
    assert summary["time_to_resolution_ms"] == 3_600_000
    assert summary["evidence_count"] == 4
    assert summary["recovery_attempted"] is True
    assert [s["match"] for s in body["similar_incidents"]] == [
        "fingerprint",
        "fingerprint",
        "category",
    ]
    insights = {i["insight_type"]: i for i in body["insights"]}
    assert insights["response"]["confidence"] == 0.7  # 2 of 3 similar rolled back
    assert insights["prevention"]["confidence"] == 0.84  # 3 recoveries
    assert insights["detection"]["confidence"] == 0.8  # 3 durations
    assert "3.0 hours" in insights["detection"]["message"]


async def test_evidence_and_proof_are_preflight_only_in_production(
    database_url, kafka_bootstrap, topics, tenant_id, insert_incident, db
) -> None:
    incident = await insert_incident(tenant_id)
    await insert_timeline(db, tenant_id, incident, entries=2)
    settings = api_settings(database_url, kafka_bootstrap, topics, Environment.PRODUCTION)
    async with running_client(settings) as production:
        for suffix in ("evidence", "proof"):
            answer = await production.get(f"{BASE}/{incident}/{suffix}", headers=auth(tenant_id))
            assert answer.status_code == 403
            assert answer.json()["error"]["code"] == "preflight_only"
            # Authentication comes first.
            anonymous = await production.get(f"{BASE}/{incident}/{suffix}")
            assert anonymous.json()["error"]["code"] == "not_authenticated"
        assert (
            await production.get(f"{BASE}/{incident}", headers=auth(tenant_id))
        ).status_code == 200
        # The timeline (what happened, who did it) is not preflight data.
        timeline = await production.get(f"{BASE}/{incident}/timeline", headers=auth(tenant_id))
        assert timeline.status_code == 200
        assert [e["sequence"] for e in timeline.json()["entries"]] == [1, 2]
        assert (await production.get(f"{BASE}/{incident}/timeline")).status_code == 401


async def test_auth_failures_over_http(client, tenant_id) -> None:
    cases = [
        ({}, 401, "not_authenticated"),
        ({"Authorization": "Bearer garbage"}, 401, "not_authenticated"),
        (auth(tenant_id, aud="other"), 401, "invalid_token"),
        (auth(tenant_id, exp=1), 401, "token_expired"),
        (auth(None), 403, "tenant_required"),
    ]
    for headers, status, code in cases:
        response = await client.get(f"{BASE}/active", headers=headers)
        assert response.status_code == status
        assert response.json() == {
            "error": {"code": code, "message": response.json()["error"]["message"], "field": None}
        }
        if status == 401:
            assert response.headers["www-authenticate"].startswith("Bearer")


async def test_unknown_paths_and_bad_ids_use_the_error_shape(client, tenant_id) -> None:
    missing = await client.get("/api/v1/nothing-here", headers=auth(tenant_id))
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    bad = await client.get(f"{BASE}/not-a-uuid", headers=auth(tenant_id))
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "incident_id"


async def test_reads_work_and_commands_are_unavailable_while_kafka_is_unreachable(
    database_url, topics, tenant_id, insert_incident
) -> None:
    # The gateway alone: the export router's own producer is not part of this check.
    incident = await insert_incident(tenant_id)
    # Port 1 on localhost refuses connections: the broker is "down" from the start.
    gateway = Gateway(api_settings(database_url, "127.0.0.1:1", topics, Environment.PREFLIGHT))
    await gateway.start()
    try:
        caller = Principal(tenant_id=tenant_id, subject="alice")
        async with gateway.incident_scope() as scope:
            assert (await scope.incidents.detail(tenant_id, incident)).incident_id == incident
            with pytest.raises(ApiError) as refused:
                await scope.commands.acknowledge(caller, incident, None)
            assert (refused.value.status, refused.value.code) == (503, "unavailable")
    finally:
        await gateway.stop()
