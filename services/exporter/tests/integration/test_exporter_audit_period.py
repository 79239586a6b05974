"""The audit-period export against the real Postgres (and once through Kafka): contents, proof
heads, filters, tenant scoping, the signed manifest, and ``verify`` on the result."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from exporter_harness import exporter_settings, publish, read_topic, running_exporter, wait_for_job
from exporter_samples import BASE_TIME, insert_rows, sample_rows

from guard_contracts.topics import Topics
from guard_exporter.adapters.audit_export import render_audit_period
from guard_exporter.drivers.period_reader import PeriodReader
from guard_exporter.engines.audit_period import AUDIT_FILES, AuditSpec
from guard_exporter.engines.verify import verify_bundle
from guard_storage.db import create_engine

pytestmark = pytest.mark.integration
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
FROM, TO = BASE_TIME - timedelta(days=1), BASE_TIME + timedelta(days=1)


def _spec(tenant_id: str, **filters: list[str]) -> AuditSpec:
    return AuditSpec(
        uuid.uuid4(), tenant_id, FROM, TO, filters, "auditor@example.com",
        BASE_TIME + timedelta(days=2), "Q4 sample", "External auditor",
    )  # fmt: skip


async def _arrange(db: Any, tenant_id: str) -> list[uuid.UUID]:
    good = sample_rows(tenant_id, n_timeline=6, n_steps=2, demonstrating=True)
    poor = sample_rows(tenant_id, n_timeline=8, n_steps=2, demonstrating=False)
    other = sample_rows(f"{tenant_id}-other", n_timeline=5, n_steps=1)
    for rows in (good, poor, other):
        await insert_rows(db, rows)
    return [good.incident["incident_id"], poor.incident["incident_id"]]


async def _export(database_url: str, spec: AuditSpec, tmp_path: Path) -> dict[str, bytes]:
    engine = create_engine(database_url, pool_size=1)
    try:
        made = await render_audit_period(PeriodReader(engine), spec, KEY, tmp_path / "audit.zip")
    finally:
        await engine.dispose()
    blob = await asyncio.to_thread(made.path.read_bytes)
    assert verify_bundle(blob, KEY.public_key()).ok
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        assert archive.namelist() == [*AUDIT_FILES, "manifest.json"]
        return {n: archive.read(n) for n in archive.namelist()}


def _jsonl(body: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in body.splitlines()]


async def test_every_incident_of_the_period_with_timelines_and_proof_heads(
    db: Any, database_url: str, tenant_id: str, tmp_path: Path
) -> None:
    ids = await _arrange(db, tenant_id)
    files = await _export(database_url, _spec(tenant_id), tmp_path)
    rows = list(csv.DictReader(io.StringIO(files["incidents.csv"].decode())))
    assert sorted(r["incident_id"] for r in rows) == sorted(str(i) for i in ids)  # tenant-scoped
    assert {r["verification_status"] for r in rows} == {"VERIFIED"}
    incidents = _jsonl(files["incidents.jsonl"])
    timelines = _jsonl(files["timelines.jsonl"])
    proofs = {p["incident_id"]: p for p in _jsonl(files["proofs.jsonl"])}
    for incident in incidents:
        own = [t for t in timelines if t["incident_id"] == incident["incident_id"]]
        assert [t["sequence"] for t in own] == list(range(1, incident["timeline_length"] + 1))
        assert proofs[incident["incident_id"]]["root_hash"] == incident["timeline_head"]
    manifest = json.loads(files["manifest.json"])
    assert manifest["summary"]["incidents"] == 2
    assert manifest["summary"]["by_severity"] == {"critical": 1, "high": 0, "medium": 1, "low": 0}
    assert manifest["summary"]["controls"]["CC7.5"] == {
        "DEMONSTRATED": 1, "PARTIAL": 0, "NOT DEMONSTRATED": 1,
    }  # fmt: skip
    assert files["summary.pdf"].startswith(b"%PDF")


async def test_a_truncated_timeline_shows_as_tampered_in_the_period(
    db: Any, database_url: str, tenant_id: str, tmp_path: Path
) -> None:
    ids = await _arrange(db, tenant_id)
    await db.execute("DELETE FROM incident_events WHERE incident_id = $1 AND sequence = 6", ids[0])
    files = await _export(database_url, _spec(tenant_id), tmp_path)
    proofs = {p["incident_id"]: p for p in _jsonl(files["proofs.jsonl"])}
    assert proofs[str(ids[0])]["verification_status"] == "TAMPERED"
    assert proofs[str(ids[0])]["problems"] == [
        "the timeline has 5 entries but the incident records 6"
    ]
    assert json.loads(files["manifest.json"])["summary"]["timelines_tampered"] == 1


async def test_filters_narrow_the_period(
    db: Any, database_url: str, tenant_id: str, tmp_path: Path
) -> None:
    ids = await _arrange(db, tenant_id)
    files = await _export(database_url, _spec(tenant_id, severities=["critical"]), tmp_path)
    assert [i["incident_id"] for i in _jsonl(files["incidents.jsonl"])] == [str(ids[0])]


async def test_through_kafka_the_job_completes_and_the_result_is_published(
    db: Any,
    database_url: str,
    kafka_bootstrap: str,
    topics: Topics,
    tenant_id: str,
    tmp_path: Path,
) -> None:
    await _arrange(db, tenant_id)
    export_id = str(uuid.uuid4())
    request = {
        "event_id": str(uuid.uuid4()),
        "event_type": "export.audit_period_requested",
        "tenant_id": tenant_id,
        "occurred_at": datetime(2026, 11, 22, tzinfo=UTC).isoformat(),
        "export_id": export_id,
        "period_from": FROM.isoformat(),
        "period_to": TO.isoformat(),
        "filters": {"severities": ["critical", "medium"]},
        "requested_by": "auditor@example.com",
    }
    settings = exporter_settings(database_url, kafka_bootstrap, topics, artifact_dir=tmp_path)
    async with running_exporter(settings):
        await publish(kafka_bootstrap, topics.export_requests, tenant_id, orjson.dumps(request))
        job = await wait_for_job(db, export_id, within=60)
    assert job["status"] == "completed", job["error"]
    assert (job["kind"], job["format"], job["incident_id"]) == ("audit_period", "zip", None)
    assert json.loads(job["parameters"])["filters"] == {"severities": ["critical", "medium"]}
    assert (await asyncio.to_thread(Path(job["artifact_path"]).read_bytes))[:2] == b"PK"
    results = await read_topic(
        kafka_bootstrap, topics.export_results, lambda r: export_id.encode() in r.value
    )
    result = json.loads(results[0].value)
    assert (result["kind"], result.get("incident_id"), result["sha256"]) == (
        "audit_period", None, job["sha256"],
    )  # fmt: skip
