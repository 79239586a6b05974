"""Stream time is stored with the batch, and the sweep's horizon is computed from it
(docs/adr/0001-event-time-idle-sweep.md): per tenant and topic, the wall clock only for a
caught-up partition, the earliest topic wins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from guard_contracts.topics import Topics
from guard_devtools.services import RunningIngest, eventually
from guard_ingest.drivers.incidents import lock_idle

from .ingest_kafka_helpers import produce, trigger

pytestmark = pytest.mark.integration
HOUR = timedelta(hours=1)


async def _due(db: asyncpg.Connection, tenant: str, caught_up: list[tuple[str, int]],
               now: datetime) -> dict[str, datetime]:  # fmt: skip
    rows = await lock_idle(db, caught_up=caught_up, all_caught_up=False, now=now, lateness=HOUR,
                           idle_timeout=timedelta(seconds=900),
                           anomaly_timeout=timedelta(hours=24), limit=1000)  # fmt: skip
    return {r["fingerprint"]: r["horizon"] for r in rows if r["tenant_id"] == tenant}


async def test_the_horizon_follows_the_tenants_own_stream_time(
    ingest_service: RunningIngest, kafka_bootstrap: str, topics: Topics, db: asyncpg.Connection,
    tenant_id: str,
) -> None:  # fmt: skip
    start = (datetime.now(UTC) - 3 * HOUR).replace(microsecond=0)
    events = [trigger(tenant_id, agent_id="old", occurred_at=start.isoformat()),
              trigger(tenant_id, agent_id="new", occurred_at=(start + 2 * HOUR).isoformat())]  # fmt: skip
    await produce(kafka_bootstrap, topics.killswitch_events, events, tenant_id)
    marks = await eventually(lambda: db.fetch(
        "SELECT topic, kafka_partition, stream_time FROM ingest_watermarks WHERE tenant_id = $1",
        tenant_id), lambda rows: bool(rows) and rows[0]["stream_time"] == start + 2 * HOUR)  # fmt: skip
    (mark,) = marks
    assert mark["topic"] == topics.killswitch_events
    partition = (mark["topic"], mark["kafka_partition"])
    now = datetime.now(UTC)
    async with db.transaction():
        # Behind on the partition: the stream time (start + 2 h) less 1 h of lateness.
        due = await _due(db, tenant_id, [], now)
        assert due == {"failure_spike|pol-1|old": start + HOUR}
        # Caught up: the wall clock less the lateness; the "new" incident is idle 1 h only.
        due = await _due(db, tenant_id, [partition], now)
        assert due == {"failure_spike|pol-1|old": now - HOUR}
        # Another topic of the tenant still behind, its stream time earlier: it holds the sweep.
        await db.execute(
            "INSERT INTO ingest_watermarks (tenant_id, topic, kafka_partition, stream_time) "
            "VALUES ($1, $2, 0, $3)", tenant_id, topics.incident_commands, start)  # fmt: skip
        assert await _due(db, tenant_id, [partition], now) == {}
        await db.execute("DELETE FROM ingest_watermarks WHERE tenant_id = $1 AND topic = $2",
                         tenant_id, topics.incident_commands)  # fmt: skip
