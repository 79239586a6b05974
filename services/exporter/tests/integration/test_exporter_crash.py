"""A crash mid-render loses nothing: ``python -m guard_exporter`` is killed while rendering, and the
restarted exporter renders the request again (the offset was not committed). The restarted
process also answers /healthz and /readyz."""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from exporter_harness import SEED, export_request, publish, wait_for_job
from exporter_samples import insert_rows, sample_rows

from guard_contracts.topics import Topics
from guard_devtools.infra_common import ephemeral_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "guard_exporter"], env=env, stdout=out, stderr=out
        )


async def _status(db: Any, export_id: str) -> str | None:
    row = await db.fetchrow(
        "SELECT status FROM export_jobs WHERE export_id = $1", uuid.UUID(export_id)
    )
    return row["status"] if row else None


async def test_killed_while_rendering_then_rendered_after_restart(
    db: Any, database_url: str, kafka_bootstrap: str, topics: Topics, tenant_id: str, tmp_path: Path
) -> None:
    rows = sample_rows(tenant_id, n_timeline=10_000, n_steps=10_000)
    await insert_rows(db, rows)
    env = {
        **os.environ,
        "GUARD_EXPORTER_DATABASE_URL": database_url,
        "GUARD_EXPORTER_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "GUARD_EXPORTER_TOPIC_EXPORT_REQUESTS": topics.export_requests,
        "GUARD_EXPORTER_TOPIC_EXPORT_RESULTS": topics.export_results,
        "GUARD_EXPORTER_TOPIC_DLQ": topics.dlq,
        "GUARD_EXPORTER_GROUP_ID": f"exporter-crash-{uuid.uuid4().hex[:8]}",
        "GUARD_EXPORTER_SIGNING_KEY": base64.b64encode(SEED).decode(),
        "GUARD_EXPORTER_OPS_PORT": str(ephemeral_port()),
    }
    request = export_request(tenant_id, rows.incident["incident_id"], "soc2", "pdf")
    log = tmp_path / "exporter.log"
    first = _start(env, log)
    try:
        await publish(kafka_bootstrap, topics.export_requests, tenant_id, orjson.dumps(request))
        for _ in range(3000):
            if await _status(db, request["export_id"]) == "rendering":
                break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError(f"never saw the job rendering; log:\n{log.read_text()}")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    assert await _status(db, request["export_id"]) == "rendering"

    ops_port = ephemeral_port()
    env["GUARD_EXPORTER_OPS_PORT"] = str(ops_port)
    second = _start(env, log)
    try:
        job = await wait_for_job(db, request["export_id"], within=90)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{ops_port}") as ops:
            health = await ops.get("/healthz")
            ready = await ops.get("/readyz")
        assert health.json() == {"status": "ok", "service": "exporter"}
        assert ready.status_code == 200
    finally:
        second.terminate()
        second.wait(timeout=30)
    assert job["status"] == "completed", log.read_text()
    assert job["attempts"] == 2
    assert job["artifact"].startswith(b"%PDF")
