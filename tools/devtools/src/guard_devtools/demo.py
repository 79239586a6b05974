"""Publish a small, realistic demo story to Kafka with a plain aiokafka producer.

Two tenants: ``demo`` (a budget breach that escalates, a failure spike, a released freeze, a
day of model spend) and ``other`` (so tenancy can be seen). ``python -m guard_devtools.demo``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaProducer

from guard_contracts.topics import DEFAULT_TOPICS, Topics

DEMO_NAMESPACE = uuid.UUID("5a8d2c1e-7b3f-4e9a-a6d0-1c2b3e4f5a6b")


def _id(*parts: object) -> str:
    """Deterministic ids, so running the demo twice adds nothing (ingest skips duplicates)."""
    return str(uuid.uuid5(DEMO_NAMESPACE, ":".join(map(str, parts))))


def _event(event_type: str, tenant: str, at: datetime, key: str, **fields: Any) -> dict[str, Any]:
    return {
        "event_id": _id(tenant, event_type, key),
        "event_type": event_type,
        "schema_version": 1,
        "tenant_id": tenant,
        "occurred_at": at.isoformat(),
        **fields,
    }


def cost_events(tenant: str, start: datetime, hours: int) -> list[dict[str, Any]]:
    rng = random.Random(f"{tenant}-{start.date()}")
    models = ["claude-sonnet-4", "gpt-4o-mini", "claude-haiku-3-5"]
    features = ["support-bot", "summariser", None]
    events = []
    for hour in range(hours):
        for call in range(rng.randint(4, 9)):
            at = start + timedelta(hours=hour, minutes=rng.randint(0, 59))
            events.append(
                _event(
                    "cost.recorded",
                    tenant,
                    at,
                    f"{start:%Y%m%d}-{hour}-{call}",
                    run_id=f"run-{hour % 6}",
                    step_index=call,
                    agent_id=f"agent-{hour % 3}",
                    user_id=rng.choice(["u-ada", "u-grace", None]),
                    feature_tag=rng.choice(features),
                    model=rng.choice(models),
                    provider="anthropic",
                    input_tokens=rng.randint(200, 4000),
                    output_tokens=rng.randint(50, 800),
                    cost_usd=f"{rng.randint(200, 90000) / 1_000_000:.6f}",
                    duration_ms=rng.randint(300, 9000),
                    status="ok",
                )
            )
    return events


def killswitch_events(tenant: str, now: datetime) -> list[dict[str, Any]]:
    # Recent enough that the incidents are still open (idle timeout 15 min) when the demo is read.
    t0 = now - timedelta(minutes=4)
    breach = [
        _event(
            "killswitch.triggered",
            tenant,
            t0 + timedelta(seconds=30 * i),
            f"breach-{i}",
            killswitch_id=f"ks-breach-{i}",
            trigger_type="budget_breach",
            action="stopped",
            run_id="run-1",
            agent_id="agent-1",
            policy_id="daily-budget",
            rule="spend_today > 50 USD",
            reason="daily budget exceeded",
            calls_affected=30,
            cost_delta_usd="12.50",
        )
        for i in range(3)
    ]
    spike = _event(
        "killswitch.triggered",
        tenant,
        t0 + timedelta(seconds=60),
        "spike",
        killswitch_id="ks-spike",
        trigger_type="failure_spike",
        action="throttled",
        run_id="run-2",
        agent_id="agent-2",
        policy_id="error-rate",
        error_rate=0.42,
        calls_affected=12,
    )
    freeze = _event(
        "killswitch.triggered",
        tenant,
        t0 + timedelta(seconds=90),
        "freeze",
        killswitch_id="ks-freeze",
        trigger_type="freeze",
        action="frozen",
        agent_id="agent-0",
        policy_id="change-freeze",
        actor_id="ops-oncall",
        reason="release freeze",
    )
    release = _event(
        "killswitch.released",
        tenant,
        t0 + timedelta(seconds=150),
        "release",
        killswitch_id="ks-freeze",
        actor_id="ops-oncall",
        reason="freeze lifted",
    )
    return [*breach, spike, freeze, release]


def demo_events(now: datetime) -> dict[str, list[dict[str, Any]]]:
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    costs = []
    for tenant in ("demo", "other"):
        for day in range(7, 0, -1):
            costs += cost_events(tenant, today - timedelta(days=day), 24)
        costs += cost_events(tenant, today, now.hour)
    budget = _event(
        "budget.set",
        "demo",
        now - timedelta(hours=1),
        "budget",
        budget_type="tenant",
        entity_id="demo",
        daily_limit_usd="25",
        monthly_limit_usd="600",
        hard_limit_enabled=True,
    )
    kills = killswitch_events("demo", now) + killswitch_events("other", now)[:1]
    return {"cost": costs, "killswitch": kills, "budget": [budget]}


async def publish(bootstrap: str, topics: Topics, now: datetime) -> dict[str, int]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    counts: dict[str, int] = {}
    try:
        events = demo_events(now)
        for kind, topic in (
            ("cost", topics.cost_events),
            ("killswitch", topics.killswitch_events),
            ("budget", topics.budgets),
        ):
            for event in events[kind]:
                await producer.send(
                    topic, json.dumps(event).encode(), key=event["tenant_id"].encode()
                )
            counts[topic] = len(events[kind])
        await producer.flush()
    finally:
        await producer.stop()
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    args = parser.parse_args()
    counts = asyncio.run(publish(args.bootstrap, DEFAULT_TOPICS, datetime.now(UTC)))
    for topic, n in counts.items():
        print(f"published {n} events to {topic}")


if __name__ == "__main__":
    main()
