"""A slow endpoint delays only its own channel; a channel failing for too long is disabled."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from guard_contracts.topics import Topics
from guard_devtools.notifications import (
    command_bytes,
    create_channel_command,
    incident_change,
    produce,
)
from guard_devtools.receiver import Receiver
from guard_devtools.services import RunningNotifier, eventually, run_notifier

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def notifier(
    kafka_bootstrap: str, database_url: str, topics: Topics
) -> AsyncIterator[RunningNotifier]:
    async with run_notifier(kafka_bootstrap, database_url, topics, request_timeout_s=1.0,
                            max_attempts=2, per_channel_concurrency=2,
                            disable_after_s=1.5) as running:  # fmt: skip
        yield running


async def _channels(kafka: str, topics: Topics, db: Any, receiver: Receiver, tenant: str,
                    *names: str) -> list[uuid.UUID]:  # fmt: skip
    commands = [create_channel_command(tenant, receiver.url(n), name=n) for n in names]
    await produce(kafka, topics.notification_commands, [command_bytes(c) for c in commands])
    ids = [c.channel_id for c in commands]
    await eventually(
        lambda: db.fetchval(
            "SELECT count(*) FROM notification_channels WHERE channel_id = ANY($1)", ids
        ),
        lambda n: n == len(ids),
    )
    return ids


async def test_a_slow_endpoint_delays_only_its_own_channel(
    notifier: RunningNotifier, receiver: Receiver, kafka_bootstrap: str, topics: Topics,
    db: asyncpg.Connection[Any], tenant_id: str,
) -> None:  # fmt: skip
    await _channels(kafka_bootstrap, topics, db, receiver, tenant_id, "slow", "fast")
    receiver.answer_slowly("slow", 3)  # never answers within the 1 s timeout
    started = time.time()
    await produce(kafka_bootstrap, topics.incident_changes,
                  [(tenant_id, incident_change(tenant_id)[1]) for _ in range(10)])  # fmt: skip
    fast = await eventually(lambda: _async(receiver.delivered("fast")), lambda r: len(r) == 10)
    assert max(r.at for r in fast) - started < 5
    assert receiver.delivered("slow") == []


async def test_a_channel_failing_for_too_long_is_disabled(
    notifier: RunningNotifier, receiver: Receiver, kafka_bootstrap: str, topics: Topics,
    db: asyncpg.Connection[Any], tenant_id: str,
) -> None:  # fmt: skip
    (channel,) = await _channels(kafka_bootstrap, topics, db, receiver, tenant_id, "down")
    receiver.answer_always("down", 503)
    await produce(kafka_bootstrap, topics.incident_changes,
                  [(tenant_id, incident_change(tenant_id)[1])])  # fmt: skip
    await eventually(
        lambda: db.fetchval("SELECT count(*) FROM notification_deliveries WHERE channel_id = $1"
                            " AND status = 'failed'", channel),
        lambda n: n == 1,
    )  # fmt: skip
    await asyncio.sleep(1.6)
    await produce(kafka_bootstrap, topics.incident_changes,
                  [(tenant_id, incident_change(tenant_id)[1])])  # fmt: skip
    row = await eventually(
        lambda: db.fetchrow("SELECT status, disabled_reason FROM notification_channels"
                            " WHERE channel_id = $1", channel),
        lambda r: r["status"] == "disabled",
    )  # fmt: skip
    assert "every attempt has failed since" in row["disabled_reason"]
    assert "HTTP 503" in row["disabled_reason"]
    # A disabled channel gets no new messages.
    await produce(kafka_bootstrap, topics.incident_changes,
                  [(tenant_id, incident_change(tenant_id)[1])])  # fmt: skip
    await asyncio.sleep(1.0)
    statuses = await db.fetch(
        "SELECT status FROM notification_deliveries WHERE channel_id = $1", channel
    )
    assert sorted(r["status"] for r in statuses) == ["failed", "failed"]


async def _async(value: Any) -> Any:
    return value
