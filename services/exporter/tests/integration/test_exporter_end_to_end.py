"""Through the real ingest: events → incident and hash-chained timeline → exports of it.

Proves the exporter reads what ingest really writes (the chain verifies, the controls follow the
data), not only rows arranged by hand.
"""

from __future__ import annotations

import asyncio
import io
import json
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from exporter_harness import (
    KEY,
    export_request,
    exporter_settings,
    publish,
    running_exporter,
    wait_for_job,
)
from pypdf import PdfReader

from guard_contracts.topics import Topics
from guard_exporter.engines.verify import verify_bundle

pytestmark = pytest.mark.integration


def _events(tenant_id: str, start: datetime) -> tuple[list[bytes], list[bytes], bytes]:
    costs = [
        orjson.dumps(
            {
                "event_id": str(uuid.uuid4()),
                "event_type": "cost.recorded",
                "tenant_id": tenant_id,
                "occurred_at": (start + timedelta(seconds=i)).isoformat(),
                "run_id": "run-e2e",
                "step_index": i,
                "agent_id": "agent-e2e",
                "model": "claude-sonnet-4",
                "input_tokens": 1000,
                "output_tokens": 200,
                "cost_usd": "0.125",
            }
        )
        for i in range(5)
    ]
    trigger = {
        "event_id": str(uuid.uuid4()),
        "event_type": "killswitch.triggered",
        "tenant_id": tenant_id,
        "occurred_at": (start + timedelta(seconds=10)).isoformat(),
        "killswitch_id": "ks-e2e",
        "trigger_type": "budget_breach",
        "action": "stopped",
        "run_id": "run-e2e",
        "agent_id": "agent-e2e",
        "policy_id": "policy-e2e",
        "calls_affected": 4,
        "cost_delta_usd": "2.5",
    }
    release = {
        "event_id": str(uuid.uuid4()),
        "event_type": "killswitch.released",
        "tenant_id": tenant_id,
        "occurred_at": (start + timedelta(minutes=5)).isoformat(),
        "killswitch_id": "ks-e2e",
        "actor_id": "oncall@example.com",
    }
    return costs, [orjson.dumps(trigger)], orjson.dumps(release)


async def _resolved_incident(db: Any, tenant_id: str) -> uuid.UUID:
    for _ in range(200):
        row = await db.fetchrow(
            "SELECT incident_id FROM incidents WHERE tenant_id = $1 AND lifecycle_state = 'RESOLVED'",
            tenant_id,
        )
        if row is not None:
            return uuid.UUID(str(row["incident_id"]))
        await asyncio.sleep(0.1)
    raise AssertionError("ingest did not create and resolve the incident")


async def test_exports_of_an_incident_ingest_built(
    ingest_service: Any,
    db: Any,
    database_url: str,
    kafka_bootstrap: str,
    topics: Topics,
    tenant_id: str,
) -> None:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    costs, triggers, release = _events(tenant_id, start)
    await publish(kafka_bootstrap, topics.cost_events, tenant_id, *costs)
    await publish(kafka_bootstrap, topics.killswitch_events, tenant_id, *triggers)
    await asyncio.sleep(0.5)  # the trigger must be applied before its release
    await publish(kafka_bootstrap, topics.killswitch_events, tenant_id, release)
    incident = await _resolved_incident(db, tenant_id)

    bundle_request = export_request(tenant_id, incident, "evidence", "zip")
    soc2_request = export_request(tenant_id, incident, "soc2", "pdf")
    async with running_exporter(exporter_settings(database_url, kafka_bootstrap, topics)):
        await publish(
            kafka_bootstrap,
            topics.export_requests,
            tenant_id,
            orjson.dumps(bundle_request),
            orjson.dumps(soc2_request),
        )
        bundle = await wait_for_job(db, bundle_request["export_id"])
        soc2 = await wait_for_job(db, soc2_request["export_id"])

    assert verify_bundle(bundle["artifact"], KEY.public_key()).ok
    with zipfile.ZipFile(io.BytesIO(bundle["artifact"])) as archive:
        written = json.loads(archive.read("incident.json"))
        steps = archive.read("run_steps.jsonl").decode().splitlines()
    assert written["timeline_integrity"]["verification_status"] == "VERIFIED"
    assert written["resolution_method"] == "released"
    assert len(steps) == 5
    text = " ".join(
        " ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(soc2["artifact"])).pages
    )
    for control in ("CC7.2", "CC7.3", "CC7.4", "CC7.5"):
        assert f"{control} " in text
    assert "NOT DEMONSTRATED" not in text
    assert "VERIFIED" in text
