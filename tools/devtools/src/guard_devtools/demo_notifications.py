"""The notification part of the demo: a local receiver is registered as a channel of the demo
tenant through the gateway, gets a test message and the notice of a freshly opened incident,
and each call is printed with its signature check. The channel is deleted at the end, since the
receiver only lives as long as the demo.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime

import httpx
from aiokafka import AIOKafkaProducer

from guard_contracts.topics import Topics
from guard_devtools.receiver import Receiver, run_receiver

CHANNELS = "/api/v1/notification-channels"


async def _print_calls(receiver: Receiver, expected: int, within_s: float) -> None:
    loop = asyncio.get_running_loop()
    deadline, shown = loop.time() + within_s, 0
    while shown < expected and loop.time() < deadline:
        for call in receiver.received[shown:]:
            body = call.json()
            what = body.get("type")
            title = (body.get("data", {}).get("incident") or {}).get("title", "")
            print(f"  receiver called: webhook-id {call.webhook_id}  {what}  {title}  "
                  f"signature {'verified' if call.verified else 'NOT verified'}")  # fmt: skip
        shown = len(receiver.received)
        await asyncio.sleep(0.2)
    if shown < expected:
        print(f"  (only {shown} of {expected} calls arrived; see .local/logs/notifier.log)")


async def run(api_base: str, token: str, kafka: str, topics: Topics) -> None:
    async with (
        run_receiver() as receiver,
        httpx.AsyncClient(
            base_url=api_base, headers={"Authorization": f"Bearer {token}"}, timeout=15
        ) as api,
    ):
        created = await api.post(f"{CHANNELS}?wait=10", json={
            "name": "demo receiver", "kind": "webhook", "url": receiver.url("demo"),
            "change_types": ["opened", "escalated", "resolved"],
        })  # fmt: skip
        created.raise_for_status()
        channel = created.json()
        receiver.expect_secret("demo", channel["secret"])
        print(f"demo: registered a local receiver at {receiver.url('demo')} "
              f"(channel {channel['channel_id']}, status {channel['status']})")  # fmt: skip
        (await api.post(f"{CHANNELS}/{channel['channel_id']}/test")).raise_for_status()
        await _open_an_incident(kafka, topics)
        await _print_calls(receiver, expected=2, within_s=30)
        await api.delete(f"{CHANNELS}/{channel['channel_id']}")


async def _open_an_incident(kafka: str, topics: Topics) -> None:
    event = {
        "event_id": str(uuid.uuid4()), "event_type": "killswitch.triggered", "schema_version": 1,
        "tenant_id": "demo", "occurred_at": datetime.now(UTC).isoformat(),
        "killswitch_id": f"ks-demo-{uuid.uuid4().hex[:8]}", "trigger_type": "freeze",
        "action": "frozen", "agent_id": "agent-notify", "policy_id": "policy-notify",
        "reason": "demo: frozen to show a notification",
    }  # fmt: skip
    producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topics.killswitch_events, json.dumps(event).encode(),
                                     key=b"demo")  # fmt: skip
    finally:
        await producer.stop()
