"""The exporter against the real Kafka and Postgres: jobs, artifacts, results, DLQ, retries."""

from __future__ import annotations

import io
import uuid
from typing import Any

import orjson
import pytest
from exporter_harness import (
    KEY,
    export_request,
    exporter_settings,
    publish,
    read_topic,
    running_exporter,
    wait_for_job,
)
from exporter_samples import insert_rows, sample_rows
from pypdf import PdfReader

from guard_contracts.topics import Topics
from guard_exporter.engines.records import Artifact, ExportSpec, IncidentData
from guard_exporter.engines.render import render
from guard_exporter.engines.verify import verify_bundle

pytestmark = pytest.mark.integration


@pytest.fixture
async def incident(db: Any, tenant_id: str) -> uuid.UUID:
    rows = sample_rows(tenant_id, n_timeline=20, n_steps=15)
    await insert_rows(db, rows)
    return rows.incident["incident_id"]


def _result_for(export_id: str):
    return lambda r: orjson.loads(r.value).get("export_id") == export_id


async def test_every_kind_is_rendered_stored_and_announced(
    db: Any, database_url: str, kafka_bootstrap: str, topics: Topics, tenant_id: str, incident
) -> None:
    requests = [
        export_request(tenant_id, incident, "evidence", "zip"),
        export_request(tenant_id, incident, "evidence", "json"),
        export_request(tenant_id, incident, "soc2", "pdf"),
        export_request(tenant_id, incident, "executive_debrief", "pdf"),
    ]
    async with running_exporter(exporter_settings(database_url, kafka_bootstrap, topics)):
        await publish(
            kafka_bootstrap, topics.export_requests, tenant_id, *(orjson.dumps(r) for r in requests)
        )
        jobs = [await wait_for_job(db, r["export_id"]) for r in requests]
    assert [j["status"] for j in jobs] == ["completed"] * 4
    assert [j["filename"] for j in jobs] == [
        f"evidence_{incident}.zip",
        f"evidence_{incident}.json",
        f"soc2_{incident}.pdf",
        f"executive_debrief_{incident}.pdf",
    ]
    for job in jobs[:2]:
        assert verify_bundle(job["artifact"], KEY.public_key()).ok
    for job in jobs[2:]:
        assert job["content_type"] == "application/pdf"
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(job["artifact"])).pages)
        assert str(incident) in text
    results = await read_topic(
        kafka_bootstrap, topics.export_results, _result_for(requests[0]["export_id"])
    )
    announced = orjson.loads(results[0].value)
    assert announced["status"] == "completed"
    assert announced["sha256"] == jobs[0]["sha256"]
    assert announced["size_bytes"] == len(jobs[0]["artifact"])
    assert results[0].key == tenant_id.encode()
    key_row = await db.fetchrow(
        "SELECT * FROM export_signing_keys WHERE key_id = $1", jobs[0]["signing_key_id"]
    )
    assert key_row is not None
    assert key_row["algorithm"] == "Ed25519"


async def test_redelivered_request_is_rendered_once(
    db: Any, database_url: str, kafka_bootstrap: str, topics: Topics, tenant_id: str, incident
) -> None:
    request = orjson.dumps(export_request(tenant_id, incident, "soc2", "pdf"))
    export_id = orjson.loads(request)["export_id"]
    async with running_exporter(exporter_settings(database_url, kafka_bootstrap, topics)):
        await publish(kafka_bootstrap, topics.export_requests, tenant_id, request)
        first = await wait_for_job(db, export_id)
        await publish(kafka_bootstrap, topics.export_requests, tenant_id, request)
        results = await read_topic(
            kafka_bootstrap,
            topics.export_results,
            lambda r: orjson.loads(r.value)["export_id"] == export_id,
        )
    second = await wait_for_job(db, export_id)
    assert second["attempts"] == 1
    assert second["completed_at"] == first["completed_at"]
    assert second["sha256"] == first["sha256"]
    # The repeat re-announces the same result (same event id), never a second render.
    assert {orjson.loads(r.value)["event_id"] for r in results} == {
        orjson.loads(results[0].value)["event_id"]
    }


async def test_job_left_rendering_by_a_crash_is_rendered_again(
    db: Any, database_url: str, kafka_bootstrap: str, topics: Topics, tenant_id: str, incident
) -> None:
    request = export_request(tenant_id, incident, "evidence", "zip")
    # What a crash mid-render leaves behind: the job marked rendering, the offset not committed.
    await db.execute(
        "INSERT INTO export_jobs (export_id, tenant_id, incident_id, kind, format, status,"
        " requested_by, requested_at, attempts, updated_at)"
        " VALUES ($1, $2, $3, 'evidence', 'zip', 'rendering', 'auditor@example.com', now(), 1, now())",
        uuid.UUID(request["export_id"]),
        tenant_id,
        incident,
    )
    async with running_exporter(exporter_settings(database_url, kafka_bootstrap, topics)):
        await publish(kafka_bootstrap, topics.export_requests, tenant_id, orjson.dumps(request))
        job = await wait_for_job(db, request["export_id"])
    assert job["status"] == "completed"
    assert job["attempts"] == 2


async def test_render_failure_is_recorded_and_the_exporter_keeps_serving(
    db: Any, database_url: str, kafka_bootstrap: str, topics: Topics, tenant_id: str, incident
) -> None:
    doomed = export_request(tenant_id, incident, "executive_debrief", "pdf")
    fine = export_request(tenant_id, incident, "evidence", "json")

    def fragile(spec: ExportSpec, data: IncidentData, key: Any) -> Artifact:
        if str(spec.export_id) == doomed["export_id"]:
            raise ValueError("chart data out of range")
        return render(spec, data, key)

    async with running_exporter(exporter_settings(database_url, kafka_bootstrap, topics), fragile):
        await publish(
            kafka_bootstrap,
            topics.export_requests,
            tenant_id,
            orjson.dumps(doomed),
            orjson.dumps(fine),
        )
        failed = await wait_for_job(db, doomed["export_id"])
        completed = await wait_for_job(db, fine["export_id"])
    assert failed["status"] == "failed"
    assert failed["error"] == "render failed: ValueError: chart data out of range"
    assert completed["status"] == "completed"
    results = await read_topic(
        kafka_bootstrap, topics.export_results, _result_for(doomed["export_id"])
    )
    assert orjson.loads(results[0].value)["error"] == failed["error"]


async def test_bad_messages_go_to_the_dlq_with_a_reason(
    db: Any, database_url: str, kafka_bootstrap: str, topics: Topics, tenant_id: str, incident
) -> None:
    unknown = export_request(tenant_id, uuid.uuid4(), "soc2", "pdf")
    wrong_format = export_request(tenant_id, incident, "soc2", "zip")
    good = export_request(tenant_id, incident, "evidence", "zip")
    bad = {
        b"{not json": "malformed_json",
        orjson.dumps({**good, "event_type": "cost.recorded"}): "unexpected_event_type",
        orjson.dumps(wrong_format): "schema_violation",
        orjson.dumps(unknown): "unknown_incident",
    }
    async with running_exporter(exporter_settings(database_url, kafka_bootstrap, topics)):
        await publish(kafka_bootstrap, topics.export_requests, tenant_id, *bad, orjson.dumps(good))
        assert (await wait_for_job(db, good["export_id"]))["status"] == "completed"
        failed = await wait_for_job(db, unknown["export_id"])
    letters = await read_topic(
        kafka_bootstrap, topics.dlq, lambda r: r.value in bad and r.key == tenant_id.encode()
    )
    codes = {r.value: dict(r.headers)["x-error-code"].decode() for r in letters}
    assert codes == bad
    headers = dict(letters[0].headers)
    assert headers["x-source-topic"].decode() == topics.export_requests
    assert headers["x-error-message"]
    assert failed["status"] == "failed"
    assert "does not exist" in failed["error"]


async def test_a_job_that_keeps_crashing_the_exporter_is_given_up(
    db: Any, database_url: str, kafka_bootstrap: str, topics: Topics, tenant_id: str, incident
) -> None:
    request = export_request(tenant_id, incident, "soc2", "pdf")
    # Three attempts already started and never finished: a poison request, not a transient crash.
    await db.execute(
        "INSERT INTO export_jobs (export_id, tenant_id, incident_id, kind, format, status,"
        " requested_by, requested_at, attempts, updated_at)"
        " VALUES ($1, $2, $3, 'soc2', 'pdf', 'rendering', 'auditor@example.com', now(), 3, now())",
        uuid.UUID(request["export_id"]),
        tenant_id,
        incident,
    )
    async with running_exporter(exporter_settings(database_url, kafka_bootstrap, topics)):
        await publish(kafka_bootstrap, topics.export_requests, tenant_id, orjson.dumps(request))
        job = await wait_for_job(db, request["export_id"])
    assert job["status"] == "failed"
    assert job["error"] == "gave up after 3 attempts that did not finish rendering"
