"""Publish a small, realistic demo story to Kafka with a plain aiokafka producer.

Two tenants: ``demo`` and ``other`` (so tenancy can be seen). ``python -m guard_devtools.demo``.
Everything is placed relative to ``now``, so the story is fresh whenever it is published:

- **open now** (ids unique per run, so a second run days later opens new incidents instead of
  being skipped as duplicates of incidents that have long idled out): a budget breach that
  escalates, a failure spike, and a freeze that is released (resolved a minute later);
- **history** (ids derived from the date, so re-running adds each day once): a rate limit that
  recurs every day of the last week and is released each time, and two content-policy stops —
  resolved incidents for the trend, MTTR, recurrence and learnings;
- **spend** (ids derived from the hour slot): a week of model calls, today up to now, and a burst
  in the current hour that passes the demo budget, so the cost pages have something to explain.
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
HISTORY_DAYS = 7


def _id(*parts: object) -> str:
    """A stable id: publishing the same slot twice adds nothing (ingest skips duplicates)."""
    return str(uuid.uuid5(DEMO_NAMESPACE, ":".join(map(str, parts))))


def _event(
    event_type: str, tenant: str, at: datetime, event_id: str, **fields: Any
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "event_type": event_type,
        "schema_version": 1,
        "tenant_id": tenant,
        "occurred_at": at.isoformat(),
        **fields,
    }


def cost_events(
    tenant: str, start: datetime, hours: int, until: datetime | None = None
) -> list[dict[str, Any]]:
    rng = random.Random(f"{tenant}-{start.date()}")
    models = ["claude-sonnet-4", "gpt-4o-mini", "claude-haiku-3-5"]
    features = ["support-bot", "summariser", None]
    events = []
    for hour in range(hours):
        for call in range(rng.randint(4, 9)):
            at = start + timedelta(hours=hour, minutes=rng.randint(0, 59))
            user, feature = rng.choice(["u-ada", "u-grace", None]), rng.choice(features)
            model = rng.choice(models)
            tokens_in, tokens_out = rng.randint(200, 4000), rng.randint(50, 800)
            usd, duration = rng.randint(200, 90000) / 1_000_000, rng.randint(300, 9000)
            if until is not None and at > until:
                continue
            events.append(
                _event(
                    "cost.recorded",
                    tenant,
                    at,
                    _id(tenant, "cost", f"{start:%Y%m%d}-{hour}-{call}"),
                    run_id=f"run-{hour % 6}",
                    step_index=call,
                    agent_id=f"agent-{hour % 3}",
                    user_id=user,
                    feature_tag=feature,
                    model=model,
                    provider="anthropic",
                    input_tokens=tokens_in,
                    output_tokens=tokens_out,
                    cost_usd=f"{usd:.6f}",
                    duration_ms=duration,
                    status="ok",
                )
            )
    return events


def spend_burst(tenant: str, now: datetime) -> list[dict[str, Any]]:
    """A loop in the support bot this hour: about $5 in a few minutes, past the demo's budget."""
    slot = now.replace(minute=0, second=0, microsecond=0)
    return [
        _event(
            "cost.recorded",
            tenant,
            max(slot, now - timedelta(minutes=12 - i)),
            _id(tenant, "burst", f"{slot:%Y%m%d%H}", i),
            run_id="run-loop",
            step_index=i,
            agent_id="agent-1",
            user_id="u-grace",
            feature_tag="support-bot",
            model="claude-sonnet-4",
            provider="anthropic",
            input_tokens=18_000,
            output_tokens=2_500,
            cost_usd="0.420000",
            duration_ms=14_000,
            status="ok",
        )
        for i in range(12)
    ]


def open_incident_events(tenant: str, now: datetime, run: str) -> list[dict[str, Any]]:
    """Incidents open right now; ids and killswitch ids are new on every run."""
    t0 = now - timedelta(minutes=4)

    def fresh(name: str) -> str:
        return _id(tenant, "run", run, name)

    breach = [
        _event(
            "killswitch.triggered",
            tenant,
            t0 + timedelta(seconds=30 * i),
            fresh(f"breach-{i}"),
            killswitch_id=f"ks-breach-{run}-{i}",
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
        fresh("spike"),
        killswitch_id=f"ks-spike-{run}",
        trigger_type="failure_spike",
        action="throttled",
        run_id="run-2",
        agent_id="agent-2",
        policy_id="error-rate",
        error_rate=0.42,
        calls_affected=12,
        cost_delta_usd="1.75",
    )
    freeze = _event(
        "killswitch.triggered",
        tenant,
        t0 + timedelta(seconds=90),
        fresh("freeze"),
        killswitch_id=f"ks-freeze-{run}",
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
        fresh("release"),
        killswitch_id=f"ks-freeze-{run}",
        actor_id="ops-oncall",
        reason="freeze lifted",
    )
    return [*breach, spike, freeze, release]


def history_events(tenant: str, now: datetime) -> list[dict[str, Any]]:
    """Resolved incidents of the last week, one slot per day (stable ids), oldest first."""
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    events: list[dict[str, Any]] = []
    for days in range(HISTORY_DAYS - 1, 0, -1):
        day = today - timedelta(days=days)
        stamp = f"{day:%Y%m%d}"
        opened = day + timedelta(hours=9, minutes=days)
        events.append(
            _event(
                "killswitch.triggered",
                tenant,
                opened,
                _id(tenant, "history", stamp, "rate"),
                killswitch_id=f"ks-rate-{stamp}",
                trigger_type="rate_limit",
                action="throttled",
                run_id=f"run-nightly-{stamp}",
                agent_id="agent-3",
                policy_id="provider-rpm",
                reason="provider rate limit (429)",
                calls_affected=4 + days,
                cost_delta_usd=f"{0.35 * days:.2f}",
            )
        )
        events.append(
            _event(
                "killswitch.released",
                tenant,
                opened + timedelta(minutes=5 + days),  # within the 15-minute idle timeout
                _id(tenant, "history", stamp, "rate-release"),
                killswitch_id=f"ks-rate-{stamp}",
                reason="rate limit window passed",
            )
        )
        if days in (2, 5):
            stopped = day + timedelta(hours=14, minutes=20)
            events.append(
                _event(
                    "killswitch.triggered",
                    tenant,
                    stopped,
                    _id(tenant, "history", stamp, "content"),
                    killswitch_id=f"ks-content-{stamp}",
                    trigger_type="content_policy",
                    action="stopped",
                    run_id=f"run-chat-{stamp}",
                    agent_id="agent-2",
                    policy_id="pii-filter",
                    rule="output contains an e-mail address",
                    calls_affected=2,
                    cost_delta_usd="0.60",
                )
            )
            events.append(
                _event(
                    "killswitch.released",
                    tenant,
                    stopped + timedelta(minutes=12),
                    _id(tenant, "history", stamp, "content-release"),
                    killswitch_id=f"ks-content-{stamp}",
                    actor_id="trust-and-safety",
                    reason="filter updated",
                )
            )
    return events


def demo_events(now: datetime, run: str | None = None) -> dict[str, list[dict[str, Any]]]:
    run = run or uuid.uuid4().hex[:12]
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    costs = []
    for tenant in ("demo", "other"):
        for day in range(HISTORY_DAYS, 0, -1):
            costs += cost_events(tenant, today - timedelta(days=day), 24)
        costs += cost_events(tenant, today, now.hour + 1, until=now)
    costs += spend_burst("demo", now)
    budget = _event(
        "budget.set",
        "demo",
        now - timedelta(hours=1),
        _id("demo", "budget", f"{now:%Y%m%d}"),
        budget_type="tenant",
        entity_id="demo",
        daily_limit_usd="4",
        monthly_limit_usd="150",
        hard_limit_enabled=True,
    )
    kills = (
        history_events("demo", now)
        + open_incident_events("demo", now, run)
        + open_incident_events("other", now, run)[:1]
    )
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
