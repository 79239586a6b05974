"""Lag awareness: a backlog makes /readyz say "catching up" (and how far), /metrics shows the lag
and stream time per partition, and readiness comes back once the backlog is applied."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from guard_contracts.topics import Topics
from guard_devtools.services import eventually, run_ingest_process

from .ingest_kafka_helpers import cost, produce

pytestmark = pytest.mark.integration


async def test_readyz_says_catching_up_while_a_backlog_drains(
    kafka_bootstrap: str, database_url: str, topics: Topics, tenant_id: str, tmp_path: Any
) -> None:
    occurred = (datetime.now(UTC) - timedelta(minutes=30)).isoformat()
    backlog = [cost(tenant_id, occurred_at=occurred) for _ in range(3000)]
    await produce(kafka_bootstrap, topics.cost_events, backlog, tenant_id)
    seen: list[tuple[int, dict[str, Any]]] = []
    overrides: dict[str, Any] = {"ready_max_lag": 50, "lag_interval_s": 0.2,
                                 "cost_max_records": 10, "batch_timeout_ms": 200}  # fmt: skip
    log_path = str(tmp_path / "ingest.log")
    async with (
        run_ingest_process(
            kafka_bootstrap, database_url, topics, log_path=log_path, **overrides
        ) as proc,  # fmt: skip
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{proc.ops_port}") as client,
    ):

        async def readyz() -> httpx.Response:
            answer = await client.get("/readyz")
            seen.append((answer.status_code, answer.json()))
            await asyncio.sleep(0.05)
            return answer

        await eventually(readyz, lambda r: r.status_code == 200, within_s=120)

        def drained(answer: httpx.Response) -> bool:
            # Ready means at most ready_max_lag behind; the gauges reach 0 once all is applied.
            lines = [line for line in answer.text.splitlines()
                     if line.startswith("guard_ingest_consumer_lag{") and topics.cost_events in line]  # fmt: skip
            return bool(lines) and all(line.endswith(" 0.0") for line in lines)

        metrics = (await eventually(lambda: client.get("/metrics"), drained, within_s=60)).text
    not_ready = [body for status, body in seen if status == 503]
    assert not_ready, seen
    assert all(body["detail"].startswith("catching up: ") for body in not_ready)
    # Before its first lag reading ingest says it does not know yet; then it says how far behind.
    catching_up = [body for body in not_ready if "records behind" in body["detail"]]
    assert catching_up, seen
    assert catching_up[0]["detail"].startswith("catching up: ")
    assert topics.cost_events in catching_up[0]["detail"]
    assert "records behind" in catching_up[0]["detail"]
    lag = [line for line in metrics.splitlines()
           if line.startswith("guard_ingest_consumer_lag{") and topics.cost_events in line]  # fmt: skip
    assert lag
    assert all(line.endswith(" 0.0") for line in lag)
    stream = [line for line in metrics.splitlines()
              if line.startswith("guard_ingest_stream_time_seconds{") and topics.cost_events in line]  # fmt: skip
    assert stream
    assert float(stream[0].split()[-1]) == pytest.approx(
        datetime.fromisoformat(occurred).timestamp()
    )
