"""Audit-period export benchmark: 100,000 incidents of one tenant (3 timeline entries each).

    eval "$(scripts/infra env)" && .venv/bin/python bench/exporter/bench_audit_period.py [N]

Targets: the export finishes in < 60 s with the exporter's peak RSS < 300 MB.

``python -m guard_exporter`` runs as a subprocess (artifacts in a temporary directory); the
benchmark publishes one ``export.audit_period_requested`` covering every incident and measures the
wall time from publish to the job completed, then the process's peak RSS (VmHWM). It checks the
archive: every incident present, every proof VERIFIED, the signature valid.

Uses a scratch database and unique topics on the local (127.0.0.1) servers, removed at the end.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import orjson
from aiokafka import AIOKafkaProducer

from guard_contracts.chain import link_hash
from guard_devtools.testing import create_topics, unique_topics
from guard_exporter.adapters.signing import parse_private_key
from guard_exporter.engines.verify import verify_bundle
from guard_storage.db import to_async_url, to_asyncpg_dsn
from guard_storage.migrate import upgrade

N_INCIDENTS = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
CHUNK = 10_000
SEED = base64.b64encode(bytes(range(32))).decode()
TENANT = "bench-audit"
START = datetime(2026, 10, 1, tzinfo=UTC)
LOG_PATH = Path("/tmp/guard_bench_audit_period.log")
SEVERITIES = ("low", "medium", "high", "critical")


def _incident(i: int) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    incident_id = uuid.UUID(int=i + 1)
    created = START + timedelta(seconds=25 * i)
    resolved = created + timedelta(minutes=5 + i % 400)
    entries = [
        ("created", created, {"event": {"action": "stopped", "killswitch_id": f"ks-{i}",
                                        "reason": "daily budget exceeded"}}),
        ("event_attached", created + timedelta(seconds=20), {"event": {"action": "stopped"}}),
        ("resolved", resolved, {"resolution_method": "released", "resolved_by": "ops@example.com"}),
    ]  # fmt: skip
    prev: str | None = None
    rows = []
    for seq, (entry_type, at, data) in enumerate(entries, start=1):
        source = uuid.uuid5(incident_id, str(seq))
        entry = {
            "sequence": seq,
            "entry_type": entry_type,
            "occurred_at": at.isoformat(),
            "source_event_id": str(source),
            "data": data,
        }
        digest = link_hash(prev, entry)
        rows.append(
            (incident_id, seq, TENANT, entry_type, at, source, json.dumps(data), prev, digest)
        )
        prev = digest
    incident = {
        "incident_id": incident_id, "tenant_id": TENANT, "lifecycle_state": "RESOLVED",
        "severity": SEVERITIES[i % 4], "category": "BUDGET_EXCEEDED", "cause_type": "LLM_RUN",
        "title": f"Daily budget breached by agent-{i % 50}",
        "description": "The agent exceeded its daily budget.", "source_type": "killswitch",
        "fingerprint": f"budget_breach|policy-{i % 7}|agent-{i % 50}", "llm_run_id": f"run-{i}",
        "affected_agent_id": f"agent-{i % 50}", "policy_id": f"policy-{i % 7}",
        "trigger_type": "budget_breach", "calls_affected": 6, "event_count": 2,
        "cost_impact_micros": 2_500_000, "error_code": None, "error_message": None,
        "created_at": created, "first_event_at": created,
        "last_event_at": created + timedelta(seconds=20), "acked_at": created + timedelta(minutes=2),
        "acked_by": "ops@example.com", "resolved_at": resolved, "resolved_by": "ops@example.com",
        "resolution_method": "released", "recurrence_of": None, "is_synthetic": False,
        "contained_at": created, "timeline_length": 3, "timeline_head": prev,
        "updated_at": resolved,
    }  # fmt: skip
    return incident, rows


async def _arrange(database_url: str) -> None:
    conn = await asyncpg.connect(to_asyncpg_dsn(database_url))
    try:
        for start in range(0, N_INCIDENTS, CHUNK):
            incidents, timeline = [], []
            for i in range(start, min(start + CHUNK, N_INCIDENTS)):
                incident, rows = _incident(i)
                incidents.append(incident)
                timeline += rows
            columns = list(incidents[0])
            await conn.copy_records_to_table(
                "incidents", records=[tuple(r[c] for c in columns) for r in incidents],
                columns=columns,
            )  # fmt: skip
            await conn.copy_records_to_table(
                "incident_events", records=[(*r[:6], r[6], *r[7:]) for r in timeline],
                columns=["incident_id", "sequence", "tenant_id", "entry_type", "occurred_at",
                         "source_event_id", "data", "prev_hash", "hash"],
            )  # fmt: skip
        await conn.execute("ANALYZE incidents; ANALYZE incident_events")
    finally:
        await conn.close()


def _start_exporter(env: dict[str, str]) -> subprocess.Popen[bytes]:
    with LOG_PATH.open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "guard_exporter"], env=env, stdout=log, stderr=log
        )


def _cpu_seconds(pid: int) -> float:
    """User + system CPU the process has used (from /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


async def _run(database_url: str, kafka: str, artifacts: Path) -> None:
    topics = unique_topics("bench-audit")
    await create_topics(kafka, topics, partitions=1)
    env = {
        **os.environ,
        "GUARD_EXPORTER_DATABASE_URL": database_url,
        "GUARD_EXPORTER_KAFKA_BOOTSTRAP_SERVERS": kafka,
        "GUARD_EXPORTER_TOPIC_EXPORT_REQUESTS": topics.export_requests,
        "GUARD_EXPORTER_TOPIC_EXPORT_RESULTS": topics.export_results,
        "GUARD_EXPORTER_TOPIC_DLQ": topics.dlq,
        "GUARD_EXPORTER_SIGNING_KEY": SEED,
        "GUARD_EXPORTER_ARTIFACT_DIR": str(artifacts),
        "GUARD_EXPORTER_OPS_PORT": "0",
        "GUARD_EXPORTER_LOG_LEVEL": "WARNING",
    }
    proc = _start_exporter(env)
    conn = await asyncpg.connect(to_asyncpg_dsn(database_url))
    producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all")
    await producer.start()
    try:
        await asyncio.sleep(3)  # let the consumer join its group
        cpu_before = _cpu_seconds(proc.pid)
        export_id = uuid.uuid4()
        request = {
            "event_id": str(uuid.uuid4()), "event_type": "export.audit_period_requested",
            "tenant_id": TENANT, "occurred_at": datetime.now(UTC).isoformat(),
            "export_id": str(export_id), "period_from": START.isoformat(),
            "period_to": (START + timedelta(days=365)).isoformat(), "requested_by": "bench",
        }  # fmt: skip
        t0 = time.perf_counter()
        await producer.send_and_wait(
            topics.export_requests, orjson.dumps(request), key=TENANT.encode()
        )
        while True:
            row = await conn.fetchrow(
                "SELECT status, error, size_bytes, artifact_path FROM export_jobs"
                " WHERE export_id = $1", export_id,
            )  # fmt: skip
            if row is not None and row["status"] in ("completed", "failed"):
                break
            if proc.poll() is not None:
                raise RuntimeError(f"the exporter exited; see {LOG_PATH}")
            await asyncio.sleep(0.2)
        elapsed = time.perf_counter() - t0
        rss = _peak_rss_mb(proc.pid)
        cpu = _cpu_seconds(proc.pid) - cpu_before
        load = os.getloadavg()[0]
        assert row["status"] == "completed", row["error"]
        blob = await asyncio.to_thread(Path(row["artifact_path"]).read_bytes)
        report = verify_bundle(blob, parse_private_key(SEED).public_key())
        with zipfile.ZipFile(io.BytesIO(blob)) as archive:
            manifest = json.loads(archive.read("manifest.json"))
        summary = manifest["summary"]
        print(f"audit-period export of {summary['incidents']:,} incidents "
              f"({summary['timelines_verified']:,} timelines verified)")  # fmt: skip
        print(f"  publish → completed   {elapsed:8.1f} s   target < 60 s   "
              f"{'OK' if elapsed < 60 else 'MISSED'}")  # fmt: skip
        print(f"  exporter CPU          {cpu:8.1f} s   (1-min load average {load:.1f} "
              f"on {os.cpu_count()} cores)")  # fmt: skip
        print(f"  exporter peak RSS     {rss:8.1f} MB  target < 300 MB "
              f"{'OK' if rss < 300 else 'MISSED'}")  # fmt: skip
        print(f"  archive               {row['size_bytes'] / 1e6:8.1f} MB  verify: "
              f"{'OK' if report.ok else report.lines()}")  # fmt: skip
        assert summary["incidents"] == N_INCIDENTS
    finally:
        await producer.stop()
        await conn.close()
        proc.terminate()
        proc.wait(timeout=30)


async def main() -> None:
    server = os.environ.get("DATABASE_URL", "postgresql+asyncpg://guard@127.0.0.1:55432/guard")
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    name = f"guard_bench_audit_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(to_asyncpg_dsn(server))
    await admin.execute(f'CREATE DATABASE "{name}"')
    database_url = to_async_url(server).rpartition("/")[0] + f"/{name}"
    try:
        await asyncio.to_thread(upgrade, database_url)
        t0 = time.perf_counter()
        await _arrange(database_url)
        print(f"arranged {N_INCIDENTS:,} incidents in {time.perf_counter() - t0:.1f} s")
        with tempfile.TemporaryDirectory(prefix="guard-bench-audit-") as artifacts:
            await _run(database_url, kafka, Path(artifacts))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
