"""kill -9 of the notifier mid-stream, twice: every change is delivered, and a change that is
received more than once (the request in flight at the kill) always carries the same webhook-id."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from typing import Any

import asyncpg
import pytest

from guard_contracts.enums import TimelineEntryType
from guard_contracts.topics import Topics
from guard_devtools.notifications import (
    command_bytes,
    create_channel_command,
    incident_change,
    produce,
)
from guard_devtools.receiver import run_receiver
from guard_devtools.services import NOTIFIER_READY_WITHIN_S, eventually, run_notifier_process

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.asyncio(loop_scope="session")]
INCIDENTS = 120  # two changes each (opened, resolved), to two channels: 480 messages


async def test_kill_9_twice_loses_nothing_and_never_changes_an_id(
    kafka_bootstrap: str, database_url: str, topics: Topics, db: asyncpg.Connection[Any],
    tenant_id: str, tmp_path: Any,
) -> None:  # fmt: skip
    async with run_receiver() as receiver:
        receiver.delay_s = 0.02  # keep requests in flight when the process dies
        commands = [create_channel_command(tenant_id, receiver.url(n), name=n) for n in ("a", "b")]
        for c in commands:
            receiver.expect_secret(c.name, c.secret)
        names = {c.channel_id: c.name for c in commands}
        await produce(kafka_bootstrap, topics.notification_commands,
                      [command_bytes(c) for c in commands])  # fmt: skip
        incidents = [uuid.uuid4() for _ in range(INCIDENTS)]
        records = [incident_change(tenant_id, i) for i in incidents] + [
            incident_change(tenant_id, i, sequence=2, change_type=TimelineEntryType.RESOLVED)
            for i in incidents
        ]
        # Interleave so each incident's resolution follows its opening by a while.
        order = [
            r for pair in zip(records[:INCIDENTS], records[INCIDENTS:], strict=True) for r in pair
        ]
        expected = {str(c.event_id) for c, _ in order}
        async with run_notifier_process(
            kafka_bootstrap, database_url, topics, log_path=str(tmp_path / "notifier.log"),
            flood_limit=100_000, per_channel_concurrency=4,
        ) as proc:  # fmt: skip
            chunks = [order[i : i + 24] for i in range(0, len(order), 24)]
            for n, chunk in enumerate(chunks):
                await produce(kafka_bootstrap, topics.incident_changes,
                              [(c.tenant_id, raw) for c, raw in chunk])  # fmt: skip
                await asyncio.sleep(0.2)
                if n in (3, 6):
                    # Mid-stream: messages are consumed, some sent, some in flight.
                    await eventually(lambda: _async(len(receiver.received)), lambda k: k > 0)
                    proc.kill()
                    await proc.restart(within_s=NOTIFIER_READY_WITHIN_S)

            async def delivered() -> int:
                return int(await db.fetchval(
                    "SELECT count(*) FROM notification_deliveries d JOIN notification_channels c"
                    " USING (channel_id) WHERE c.tenant_id = $1 AND d.status = 'delivered'",
                    tenant_id))  # fmt: skip

            await eventually(delivered, lambda k: k == 2 * len(order), within_s=120)

        ids: dict[tuple[str, str], set[str | None]] = defaultdict(set)
        first_ok: dict[tuple[str, str], float] = {}
        for r in receiver.received:
            body = r.json()
            assert r.verified is True
            key = (r.path, body["data"]["change_id"])
            ids[key].add(r.webhook_id)
            if 200 <= r.status < 300:
                first_ok.setdefault(key, r.at)
        for name in names.values():
            got = {change for (path, change) in ids if path == name}
            assert got == expected, f"channel {name} missed {len(expected - got)} changes"
        assert all(len(v) == 1 for v in ids.values()), "a change was sent under two webhook-ids"
        rows = await db.fetch(
            "SELECT d.channel_id, d.status FROM notification_deliveries d JOIN notification_channels c"
            " USING (channel_id) WHERE c.tenant_id = $1", tenant_id)  # fmt: skip
        assert len(rows) == 2 * len(order)
        assert {r["status"] for r in rows} == {"delivered"}
        # Per incident, the opening reached each channel before the resolution.
        for name in names.values():
            for opened, resolved in zip(records[:INCIDENTS], records[INCIDENTS:], strict=True):
                o, s = (name, str(opened[0].event_id)), (name, str(resolved[0].event_id))
                assert first_ok[o] <= first_ok[s]
        duplicates = len(receiver.received) - len(ids)
        print(f"requests: {len(receiver.received)}, distinct messages: {len(ids)}, "
              f"re-sent after a kill: {duplicates}")  # fmt: skip


async def _async(value: Any) -> Any:
    return value
