"""The console's change hub without Kafka: what a stream receives, for whom, and when it is full."""

from __future__ import annotations

import json
from typing import Any

from guard_api.adapters.change_stream import OVERFLOW, QUEUE_SIZE, ChangeHub, summarise


def change(tenant: str, sequence: int = 1, **incident: Any) -> bytes:
    return json.dumps(
        {
            "event_id": "5f1d3a4e-0000-4000-8000-000000000001",
            "event_type": "incident.changed",
            "tenant_id": tenant,
            "occurred_at": "2026-11-28T10:00:00+00:00",
            "change_type": "acknowledged",
            "sequence": sequence,
            "data": {"actor_id": "ops"},
            "incident": {
                "incident_id": "0b0b0b0b-0000-4000-8000-000000000002",
                "lifecycle_state": "ACKED",
                "severity": "high",
                "title": "Budget breach",
                "category": "BUDGET_EXCEEDED",
                "description": "not sent to the browser",
                **incident,
            },
        }
    ).encode()


def test_a_change_is_summarised_for_the_console() -> None:
    parsed = summarise(change("acme"))
    assert parsed is not None
    tenant, summary = parsed
    assert tenant == "acme"
    assert summary == {
        "incident_id": "0b0b0b0b-0000-4000-8000-000000000002",
        "lifecycle_state": "ACKED",
        "severity": "high",
        "title": "Budget breach",
        "category": "BUDGET_EXCEEDED",
        "change_type": "acknowledged",
        "sequence": 1,
        "occurred_at": "2026-11-28T10:00:00+00:00",
    }


def test_unreadable_records_are_skipped() -> None:
    assert summarise(b"not json") is None
    assert summarise(b'{"tenant_id": "acme"}') is None
    assert summarise(b"[1, 2]") is None


async def test_changes_reach_only_the_streams_of_their_tenant() -> None:
    hub = ChangeHub("127.0.0.1:1", "unused-topic", retry_seconds=60)
    try:
        async with hub.subscribe("acme") as acme, hub.subscribe("globex") as globex:
            parsed = summarise(change("acme"))
            assert parsed is not None
            hub.publish(*parsed)
            assert (await acme.get())["title"] == "Budget breach"
            assert globex.empty()
        hub.publish(*parsed)  # nobody listening any more: dropped, no error
    finally:
        await hub.stop()


async def test_a_stream_that_falls_behind_is_told_to_reload() -> None:
    hub = ChangeHub("127.0.0.1:1", "unused-topic", retry_seconds=60)
    try:
        async with hub.subscribe("acme") as queue:
            for sequence in range(QUEUE_SIZE + 5):
                parsed = summarise(change("acme", sequence))
                assert parsed is not None
                hub.publish(*parsed)
            items = [queue.get_nowait() for _ in range(queue.qsize())]
            assert items[-1] == OVERFLOW
            assert len(items) == QUEUE_SIZE
    finally:
        await hub.stop()
