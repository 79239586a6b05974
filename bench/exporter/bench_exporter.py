"""Exporter benchmark: one incident with 10,000 timeline entries and 10,000 run steps.

    eval "$(scripts/infra env)" && .venv/bin/python bench/exporter/bench_exporter.py

Targets: evidence ZIP ≤ 1 s, each PDF ≤ 3 s, exporter peak RSS < 300 MB.

1. In-process: for each export kind, read the incident from Postgres (one snapshot) and render it;
   best and median of 3 runs, with the read and the render timed separately.
2. Service: ``python -m guard_exporter`` as a subprocess consumes the four requests from Kafka,
   stores the artifacts and publishes results; wall time from publish to the job completed, and the
   process's peak RSS (VmHWM) afterwards.

Uses a scratch database and unique topics on the local (127.0.0.1) servers, removed at the end.
"""

from __future__ import annotations

import asyncio
import base64
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import orjson
from aiokafka import AIOKafkaProducer

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "services" / "exporter" / "tests"))

from exporter_samples import BASE_TIME, insert_rows, sample_rows  # noqa: E402

from guard_contracts.enums import ExportFormat, ExportKind  # noqa: E402
from guard_devtools.testing import create_topics, unique_topics  # noqa: E402
from guard_exporter.adapters.loading import load_incident_data  # noqa: E402
from guard_exporter.adapters.signing import parse_private_key  # noqa: E402
from guard_exporter.drivers.incident_reader import IncidentReader  # noqa: E402
from guard_exporter.engines.records import ExportSpec  # noqa: E402
from guard_exporter.engines.render import render  # noqa: E402
from guard_storage.db import create_engine, to_async_url, to_asyncpg_dsn  # noqa: E402
from guard_storage.migrate import upgrade  # noqa: E402

LOG_PATH = Path("/tmp/guard_bench_exporter.log")
N_TIMELINE = 10_000
N_STEPS = 10_000
SEED = base64.b64encode(bytes(range(32))).decode()
KINDS = [
    (ExportKind.EVIDENCE, ExportFormat.ZIP, 1.0),
    (ExportKind.EVIDENCE, ExportFormat.JSON, None),
    (ExportKind.SOC2, ExportFormat.PDF, 3.0),
    (ExportKind.EXECUTIVE_DEBRIEF, ExportFormat.PDF, 3.0),
]


async def _admin(server_url: str, sql: str) -> None:
    conn = await asyncpg.connect(to_asyncpg_dsn(server_url))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def in_process(database_url: str, tenant_id: str, incident_id: uuid.UUID) -> None:
    engine = create_engine(database_url, pool_size=2)
    reader = IncidentReader(engine)
    key = parse_private_key(SEED)
    print(
        f"{'export':<26}{'read s':>9}{'render s':>10}{'total best':>12}{'median':>9}{'bytes':>12}  target"
    )
    for kind, fmt, target in KINDS:
        spec = ExportSpec(uuid.uuid4(), tenant_id, incident_id, kind, fmt, "bench", BASE_TIME)
        totals, reads, renders, size = [], [], [], 0
        for _ in range(3):
            t0 = time.perf_counter()
            data = await load_incident_data(reader, spec, max_run_steps=200_000)
            t1 = time.perf_counter()
            artifact = render(spec, data, key)
            t2 = time.perf_counter()
            reads.append(t1 - t0)
            renders.append(t2 - t1)
            totals.append(t2 - t0)
            size = artifact.size_bytes
        verdict = (
            ""
            if target is None
            else f"≤ {target:.0f} s {'OK' if min(totals) <= target else 'MISSED'}"
        )
        print(
            f"{kind.value + '/' + fmt.value:<26}{min(reads):>9.3f}{min(renders):>10.3f}"
            f"{min(totals):>12.3f}{statistics.median(totals):>9.3f}{size:>12,}  {verdict}"
        )
    await engine.dispose()


def _start_exporter(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], Any]:
    log = LOG_PATH.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "guard_exporter"], env=env, stdout=log, stderr=log
    )
    return proc, log


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


async def as_service(database_url: str, kafka: str, tenant_id: str, incident_id: uuid.UUID) -> None:
    topics = unique_topics("bench")
    await create_topics(kafka, topics, partitions=1)
    env = {
        **os.environ,
        "GUARD_EXPORTER_DATABASE_URL": database_url,
        "GUARD_EXPORTER_KAFKA_BOOTSTRAP_SERVERS": kafka,
        "GUARD_EXPORTER_TOPIC_EXPORT_REQUESTS": topics.export_requests,
        "GUARD_EXPORTER_TOPIC_EXPORT_RESULTS": topics.export_results,
        "GUARD_EXPORTER_TOPIC_DLQ": topics.dlq,
        "GUARD_EXPORTER_SIGNING_KEY": SEED,
        "GUARD_EXPORTER_OPS_PORT": "0",
        "GUARD_EXPORTER_LOG_LEVEL": "WARNING",
    }
    proc, log = _start_exporter(env)
    conn = await asyncpg.connect(to_asyncpg_dsn(database_url))
    producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all")
    await producer.start()
    try:
        # Warm-up (not counted): the first request also waits for the consumer group to form.
        await _request(
            producer, conn, topics.export_requests, tenant_id, incident_id, KINDS[-1][:2]
        )
        print(f"\n{'service: export':<26}{'publish → completed s':>24}")
        for kind, fmt, _ in KINDS:
            t0 = time.perf_counter()
            status = await _request(
                producer, conn, topics.export_requests, tenant_id, incident_id, (kind, fmt)
            )
            print(f"{kind.value + '/' + fmt.value:<26}{time.perf_counter() - t0:>24.3f}  {status}")
        rss = _peak_rss_mb(proc.pid)
        print(f"\nexporter process peak RSS (VmHWM): {rss:.1f} MB  target < 300 MB "
              f"{'OK' if rss < 300 else 'MISSED'}")  # fmt: skip
    finally:
        await producer.stop()
        await conn.close()
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
        print(f"exporter log: {LOG_PATH}")


async def _request(
    producer: AIOKafkaProducer,
    conn: Any,
    topic: str,
    tenant_id: str,
    incident_id: uuid.UUID,
    kind_format: tuple[ExportKind, ExportFormat],
) -> str:
    kind, fmt = kind_format
    export_id = uuid.uuid4()
    event = {
        "event_id": str(uuid.uuid4()), "event_type": "export.requested",
        "tenant_id": tenant_id, "occurred_at": BASE_TIME.isoformat(),
        "export_id": str(export_id), "incident_id": str(incident_id),
        "kind": kind.value, "format": fmt.value, "requested_by": "bench",
    }  # fmt: skip
    await producer.send_and_wait(topic, orjson.dumps(event), key=tenant_id.encode())
    return await _wait(conn, export_id)


async def _wait(conn: Any, export_id: uuid.UUID) -> str:
    for _ in range(6000):
        row = await conn.fetchrow("SELECT status FROM export_jobs WHERE export_id = $1", export_id)
        if row is not None and row["status"] in ("completed", "failed"):
            return str(row["status"])
        await asyncio.sleep(0.01)
    raise RuntimeError(f"export {export_id} did not finish")


async def main() -> None:
    server = os.environ.get("DATABASE_URL", "postgresql+asyncpg://guard@127.0.0.1:55432/guard")
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    name = f"guard_bench_exporter_{uuid.uuid4().hex[:8]}"
    await _admin(server, f'CREATE DATABASE "{name}"')
    database_url = to_async_url(server).rpartition("/")[0] + f"/{name}"
    try:
        await asyncio.to_thread(upgrade, database_url)
        tenant_id = "bench-tenant"
        rows = sample_rows(tenant_id, n_timeline=N_TIMELINE, n_steps=N_STEPS)
        conn = await asyncpg.connect(to_asyncpg_dsn(database_url))
        try:
            await insert_rows(conn, rows)
        finally:
            await conn.close()
        incident_id = rows.incident["incident_id"]
        del rows
        print(f"incident with {N_TIMELINE:,} timeline entries and {N_STEPS:,} run steps\n")
        await in_process(database_url, tenant_id, incident_id)
        await as_service(database_url, kafka, tenant_id, incident_id)
    finally:
        await _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    asyncio.run(main())
