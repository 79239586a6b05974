"""Same events, same incidents and spend: through faults, and whatever the batch cuts.

A generator publishes 2,000 killswitch and cost events of 40 tenants spread over an hour
of event time, as fast as it can. Ingest and analytics (real processes) consume it three times,
each run on its own topics and database on a private Kafka and PostgreSQL:

- faults: while ingest consumes, kill -9 ingest (and restart it), restart the broker, stop
  PostgreSQL with ``pg_ctl -m immediate`` and start it again, kill -9 analytics (and restart it);
- reference: the same events, no fault;
- one event per incident batch (``incident_max_records=1``).

Every tenant's incidents (ids, fingerprints, calls, events, severity, state, resolved_at, timeline
length and chain head) and spend (raw and rolled up) must be identical in all three. The idle
sweep runs every half second with a short timeout and allowed lateness, so it resolves incidents
while the backlog drains: it must never resolve what a later event of the stream would keep open
(docs/adr/0001-event-time-idle-sweep.md).

The events are published before the services start: their event time lies 10 to 70 minutes in
the past, far beyond the allowed lateness *relative to the wall clock*, so an event still in the
producer's hands once ingest has caught up is late by definition and may be treated as new.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from guard_devtools.services import eventually

from .conftest import PrivateServers
from .storm import (
    killswitch_stored,
    new_database,
    new_topics,
    produce,
    services,
    snapshot,
    storm,
    wait_settled,
)

pytestmark = [pytest.mark.faults, pytest.mark.slow]
log = logging.getLogger(__name__)

#: Short enough that the sweep resolves incidents while the backlog drains.
SWEEP: dict[str, Any] = {
    "group_window_s": 180, "idle_timeout_s": 300, "allowed_lateness_s": 120,
    "auto_resolve_interval_s": 0.5, "lag_interval_s": 1.0,
}  # fmt: skip


async def _run(
    servers: PrivateServers, events: Any, log_dir: str, name: str, faults: bool = False,
    **ingest: Any,
) -> dict[str, Any]:  # fmt: skip
    kafka, postgres = servers.kafka, servers.postgres
    topics = await new_topics(kafka)
    url = await new_database(postgres, f"faults_{name}")
    await produce(kafka.bootstrap, topics, events.messages)
    async with services(kafka.bootstrap, url, topics, log_dir, name, **SWEEP | ingest) as (
        ingest_proc,
        analytics,
    ):
        if faults:
            await _inject(servers, url, events.killswitch_events, ingest_proc, analytics)
        await wait_settled(url, events.total, within_s=420)
        await _assert_healthy(ingest_proc.ops_port)
    return await snapshot(url)


async def _at(url: str, share: float, total: int) -> int:
    return await eventually(lambda: killswitch_stored(url), lambda n: n >= share * total,
                            within_s=120)  # fmt: skip


async def _inject(
    servers: PrivateServers, url: str, total: int, ingest: Any, analytics: Any
) -> None:
    """Faults at growing shares of the killswitch events stored (the incident path)."""
    log.info("kill -9 ingest at %d/%d killswitch events", await _at(url, 0.1, total), total)
    ingest.kill()
    await ingest.restart()
    log.info("broker restart at %d/%d", await _at(url, 0.25, total), total)
    servers.kafka.stop()
    await servers.kafka.start()
    log.info("PostgreSQL immediate stop at %d/%d", await _at(url, 0.4, total), total)
    servers.postgres.stop_immediately()
    await asyncio.sleep(3)
    await servers.postgres.start()
    log.info("kill -9 analytics at %d/%d", await _at(url, 0.55, total), total)
    analytics.kill()
    await analytics.restart()


async def _assert_healthy(ops_port: int) -> None:
    """Ingest healed by itself: ready again, and its lag and stream time are on /metrics."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{ops_port}") as client:
        ready = await eventually(lambda: client.get("/readyz"), lambda r: r.status_code == 200,
                                 within_s=30)  # fmt: skip
        assert ready.json()["status"] == "ready"
        metrics = (await client.get("/metrics")).text
    assert 'guard_ingest_consumer_lag{partition="0",topic=' in metrics
    assert 'guard_ingest_stream_time_seconds{partition="0",topic=' in metrics


async def test_faults_and_batch_cuts_change_no_incident_and_no_spend(
    private_servers: PrivateServers, tmp_path: Path
) -> None:
    start = datetime.now(UTC) - timedelta(minutes=70)
    events = storm(tenants=40, per_tenant=50, start=start, span=timedelta(minutes=60), late_s=60)
    reference, one_by_one = await asyncio.gather(
        _run(private_servers, events, str(tmp_path), "reference"),
        _run(private_servers, events, str(tmp_path), "one", incident_max_records=1),
    )
    faulted = await _run(private_servers, events, str(tmp_path), "faults", faults=True,
                         incident_max_records=3, cost_max_records=13)  # fmt: skip

    incidents = reference["incidents"]
    assert set(incidents) == set(events.tenants)
    assert sum(len(v) for v in incidents.values()) > 3 * len(events.tenants)
    auto = sum(1 for v in incidents.values() for i in v if i[7] == "auto")
    assert auto > len(events.tenants)  # the sweep (or a later event) resolved idle ones
    for tenant in events.tenants:
        assert one_by_one["incidents"][tenant] == incidents[tenant], tenant
        assert faulted["incidents"][tenant] == incidents[tenant], tenant
    for key in ("timeline", "spend", "rollups"):
        assert one_by_one[key] == reference[key] == faulted[key], key
    assert reference["spend"] == {t: (reference["rollups"][t], reference["spend"][t][1])
                                  for t in reference["spend"]}  # fmt: skip
