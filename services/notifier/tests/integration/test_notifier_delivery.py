"""The notifier against the real Kafka and PostgreSQL and a receiver on 127.0.0.1.

One notifier runs for the module (flood limit 5 per 4 s window); every test has its own tenant
and channels, so the tests never see each other's messages.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from standardwebhooks.webhooks import Webhook

from guard_contracts.enums import Category, Severity, SourceType, TimelineEntryType
from guard_contracts.notifications import ChangeKind, ChannelFilters, ChannelKind
from guard_contracts.topics import Topics
from guard_devtools.notifications import (
    channel_test_command,
    command_bytes,
    create_channel_command,
    incident_change,
    produce,
)
from guard_devtools.receiver import Receiver
from guard_devtools.services import RunningNotifier, eventually, run_notifier

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]
FLOOD_LIMIT = 5


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def notifier(
    kafka_bootstrap: str, database_url: str, topics: Topics
) -> AsyncIterator[RunningNotifier]:
    async with run_notifier(kafka_bootstrap, database_url, topics, flood_limit=FLOOD_LIMIT,
                            flood_window_s=4.0, digest_grace_s=0.5) as running:  # fmt: skip
        yield running


async def _channel(
    kafka: str, topics: Topics, db: asyncpg.Connection[Any], receiver: Receiver, tenant: str,
    name: str, **kw: Any,
) -> uuid.UUID:  # fmt: skip
    command = create_channel_command(tenant, receiver.url(name), name=name, **kw)
    receiver.expect_secret(name, command.secret)
    await produce(kafka, topics.notification_commands, [command_bytes(command)])
    await eventually(
        lambda: db.fetchval(
            "SELECT status FROM notification_channels WHERE channel_id = $1", command.channel_id
        ),
        lambda status: status == "active",
    )
    return command.channel_id


async def _changes(kafka: str, topics: Topics, *records: tuple[Any, bytes]) -> list[Any]:
    await produce(kafka, topics.incident_changes, [(c.tenant_id, raw) for c, raw in records])
    return [c for c, _ in records]


async def _ledger(db: asyncpg.Connection[Any], channel_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT * FROM notification_deliveries WHERE channel_id = $1 ORDER BY seq", channel_id
    )
    return [dict(r) for r in rows]


async def test_signature_verifies_with_the_standard_webhooks_verifier(
    notifier: RunningNotifier, receiver: Receiver, kafka_bootstrap: str, topics: Topics,
    db: asyncpg.Connection[Any], tenant_id: str,
) -> None:  # fmt: skip
    command = create_channel_command(tenant_id, receiver.url("sig"), name="sig")
    receiver.expect_secret("sig", command.secret)
    await produce(kafka_bootstrap, topics.notification_commands, [command_bytes(command)])
    (change,) = await _changes(kafka_bootstrap, topics, incident_change(tenant_id))
    (got,) = await eventually(lambda: _async(receiver.delivered("sig")), lambda r: len(r) == 1)
    assert got.verified is True
    # Verify again here, with the package, from the raw request (not through the receiver).
    body = Webhook(command.secret).verify(got.body, got.headers)
    assert body["type"] == "incident.opened"
    assert body["data"]["change_id"] == str(change.event_id)
    assert body["data"]["incident"]["incident_id"] == str(change.incident.incident_id)
    assert body["data"]["console_url"].endswith(
        f"/console/#/incidents/{change.incident.incident_id}"
    )
    # The receiver answers before the notifier records the answer.
    (row,) = await eventually(lambda: _ledger(db, command.channel_id),
                              lambda r: r[0]["status"] != "pending")  # fmt: skip
    assert str(row["delivery_id"]) == got.webhook_id
    assert row["status"] == "delivered"
    assert row["attempts"] == 1
    # A wrong secret does not verify.
    with pytest.raises(Exception, match="signature"):
        Webhook("whsec_" + "A" * 43 + "=").verify(got.body, got.headers)


async def _async(value: Any) -> Any:
    return value


async def test_fail_twice_then_succeed_keeps_one_webhook_id_and_incident_order(
    notifier: RunningNotifier, receiver: Receiver, kafka_bootstrap: str, topics: Topics,
    db: asyncpg.Connection[Any], tenant_id: str,
) -> None:  # fmt: skip
    channel = await _channel(kafka_bootstrap, topics, db, receiver, tenant_id, "flaky")
    receiver.fail_next("flaky", 500, 503)
    incident = uuid.uuid4()
    steps = [TimelineEntryType.CREATED, TimelineEntryType.SEVERITY_ESCALATED,
             TimelineEntryType.ACKNOWLEDGED, TimelineEntryType.RESOLVED]  # fmt: skip
    await _changes(kafka_bootstrap, topics, *(
        incident_change(tenant_id, incident, sequence=i + 1, change_type=step)
        for i, step in enumerate(steps)
    ))  # fmt: skip
    ok = await eventually(lambda: _async(receiver.delivered("flaky")), lambda r: len(r) == 4)
    first_id = ok[0].webhook_id
    attempts = [r for r in receiver.at("flaky") if r.webhook_id == first_id]
    assert [r.status for r in attempts] == [500, 503, 200]
    assert all(r.verified for r in attempts)
    # The incident's changes arrive in their order, the retried first one before the others.
    kinds = [r.json()["data"]["change_type"] for r in ok]
    assert kinds == ["opened", "escalated", "acknowledged", "resolved"]
    assert receiver.at("flaky")[:3] == attempts
    rows = await eventually(lambda: _ledger(db, channel),
                            lambda r: all(x["status"] != "pending" for x in r))  # fmt: skip
    assert [(r["status"], r["attempts"]) for r in rows] == [
        ("delivered", 3), ("delivered", 1), ("delivered", 1), ("delivered", 1)]  # fmt: skip


async def test_410_is_final_and_listed_as_failed(
    notifier: RunningNotifier, receiver: Receiver, kafka_bootstrap: str, topics: Topics,
    db: asyncpg.Connection[Any], tenant_id: str,
) -> None:  # fmt: skip
    channel = await _channel(kafka_bootstrap, topics, db, receiver, tenant_id, "gone")
    receiver.answer_always("gone", 410)
    await _changes(kafka_bootstrap, topics, incident_change(tenant_id))
    await eventually(lambda: _ledger(db, channel), lambda r: r and r[0]["status"] == "failed")
    await asyncio.sleep(0.5)  # no further attempt comes
    assert len(receiver.at("gone")) == 1
    (row,) = await _ledger(db, channel)
    assert row["attempts"] == 1
    assert row["last_status_code"] == 410
    assert row["last_error"] == "HTTP 410"


async def test_retry_after_is_honoured(
    notifier: RunningNotifier, receiver: Receiver, kafka_bootstrap: str, topics: Topics,
    db: asyncpg.Connection[Any], tenant_id: str,
) -> None:  # fmt: skip
    await _channel(kafka_bootstrap, topics, db, receiver, tenant_id, "busy")
    receiver.fail_next("busy", (429, {"Retry-After": "2"}))
    await _changes(kafka_bootstrap, topics, incident_change(tenant_id))
    got = await eventually(lambda: _async(receiver.at("busy")), lambda r: len(r) == 2)
    assert [r.status for r in got] == [429, 200]
    assert got[0].webhook_id == got[1].webhook_id
    # Without Retry-After the next attempt would come after ~0.05 s (retry_initial_s).
    assert got[1].at - got[0].at >= 1.9


async def test_a_flood_gives_the_limit_then_one_digest(
    notifier: RunningNotifier, receiver: Receiver, kafka_bootstrap: str, topics: Topics,
    db: asyncpg.Connection[Any], tenant_id: str,
) -> None:  # fmt: skip
    channel = await _channel(kafka_bootstrap, topics, db, receiver, tenant_id, "flood")
    await _changes(kafka_bootstrap, topics, *(
        incident_change(tenant_id, title=f"incident {i}") for i in range(100)))  # fmt: skip
    got = await eventually(
        lambda: _async(receiver.delivered("flood")),
        lambda r: len(r) == FLOOD_LIMIT + 1,
        within_s=30,
    )
    await asyncio.sleep(1.0)  # the receiver answers before the notifier records the answer
    assert len(receiver.delivered("flood")) == FLOOD_LIMIT + 1
    types = [r.json()["type"] for r in got]
    assert types == ["incident.opened"] * FLOOD_LIMIT + ["notifications.digest"]
    digest = got[-1].json()["data"]
    assert digest["count"] == 100 - FLOOD_LIMIT
    assert digest["message"].startswith(f"and {100 - FLOOD_LIMIT} more")
    assert all(r.verified for r in got)
    statuses = [r["status"] for r in await _ledger(db, channel)]
    assert statuses.count("digested") == 100 - FLOOD_LIMIT
    assert statuses.count("delivered") == FLOOD_LIMIT + 1


async def test_filters_hold(
    notifier: RunningNotifier, receiver: Receiver, kafka_bootstrap: str, topics: Topics,
    db: asyncpg.Connection[Any], tenant_id: str,
) -> None:  # fmt: skip
    only_resolved = await _channel(kafka_bootstrap, topics, db, receiver, tenant_id, "f-res",
                                   filters=ChannelFilters(change_types=[ChangeKind.RESOLVED]))  # fmt: skip
    high_up = await _channel(kafka_bootstrap, topics, db, receiver, tenant_id, "f-high",
                             filters=ChannelFilters(min_severity=Severity.HIGH))  # fmt: skip
    costs = await _channel(kafka_bootstrap, topics, db, receiver, tenant_id, "f-cost",
                           filters=ChannelFilters(categories=[Category.COST_ANOMALY]))  # fmt: skip
    everything = await _channel(kafka_bootstrap, topics, db, receiver, tenant_id, "f-all")
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await _changes(
        kafka_bootstrap, topics,
        incident_change(tenant_id, a, severity=Severity.LOW, category=Category.RATE_LIMIT),
        incident_change(tenant_id, a, sequence=2, change_type=TimelineEntryType.EVENT_ATTACHED,
                        severity=Severity.LOW),
        incident_change(tenant_id, a, sequence=3, change_type=TimelineEntryType.AUTO_RESOLVED,
                        severity=Severity.LOW),
        incident_change(tenant_id, b, severity=Severity.CRITICAL, category=Category.COST_ANOMALY,
                        source_type=SourceType.COST_ANOMALY),
        incident_change(tenant_id, c, severity=Severity.MEDIUM, recurrence_of=a),
    )  # fmt: skip
    await eventually(lambda: _async(receiver.delivered("f-all")), lambda r: len(r) == 4)
    await asyncio.sleep(0.5)

    def kinds(name: str) -> list[tuple[str, str]]:
        return sorted((r.json()["data"]["incident"]["incident_id"], r.json()["data"]["change_type"])
                      for r in receiver.delivered(name))  # fmt: skip

    assert kinds("f-all") == sorted([(str(a), "opened"), (str(a), "resolved"),
                                     (str(b), "cost_anomaly"), (str(c), "reopened")])  # fmt: skip
    assert kinds("f-res") == [(str(a), "resolved")]
    assert kinds("f-high") == [(str(b), "cost_anomaly")]
    assert kinds("f-cost") == [(str(b), "cost_anomaly")]
    for channel in (only_resolved, high_up, costs, everything):
        rows = await eventually(lambda c=channel: _ledger(db, c),
                                lambda r: all(x["status"] == "delivered" for x in r))  # fmt: skip
        assert rows


async def test_another_tenants_channel_never_receives_this_tenants_incidents(
    notifier: RunningNotifier, receiver: Receiver, kafka_bootstrap: str, topics: Topics,
    db: asyncpg.Connection[Any], tenant_id: str,
) -> None:  # fmt: skip
    other = f"{tenant_id}-other"
    await _channel(kafka_bootstrap, topics, db, receiver, tenant_id, "mine")
    theirs = await _channel(kafka_bootstrap, topics, db, receiver, other, "theirs")
    await _changes(kafka_bootstrap, topics, *(incident_change(tenant_id) for _ in range(3)))
    await eventually(lambda: _async(receiver.delivered("mine")), lambda r: len(r) == 3)
    await _changes(kafka_bootstrap, topics, incident_change(other))
    (got,) = await eventually(lambda: _async(receiver.delivered("theirs")), lambda r: len(r) == 1)
    assert got.json()["data"]["tenant_id"] == other
    assert len(await _ledger(db, theirs)) == 1
    assert all(r.json()["data"]["tenant_id"] == tenant_id for r in receiver.at("mine"))


async def test_test_message_and_delete(
    notifier: RunningNotifier, receiver: Receiver, kafka_bootstrap: str, topics: Topics,
    db: asyncpg.Connection[Any], tenant_id: str,
) -> None:  # fmt: skip
    channel = await _channel(kafka_bootstrap, topics, db, receiver, tenant_id, "slack",
                             kind=ChannelKind.SLACK)  # fmt: skip
    await produce(kafka_bootstrap, topics.notification_commands,
                  [command_bytes(channel_test_command(tenant_id, channel))])  # fmt: skip
    (test,) = await eventually(lambda: _async(receiver.delivered("slack")), lambda r: len(r) == 1)
    assert "Test message" in test.json()["text"]
    change, raw = incident_change(tenant_id, title="Budget breach on agent-7")
    await _changes(kafka_bootstrap, topics, (change, raw))
    got = await eventually(lambda: _async(receiver.delivered("slack")), lambda r: len(r) == 2)
    slack = got[1].json()
    assert "Incident opened: Budget breach on agent-7" in slack["text"]
    assert f"/console/#/incidents/{change.incident.incident_id}" in str(slack["blocks"])


async def test_a_private_address_is_refused_at_delivery(
    notifier: RunningNotifier, kafka_bootstrap: str, topics: Topics,
    db: asyncpg.Connection[Any], tenant_id: str,
) -> None:  # fmt: skip
    command = create_channel_command(tenant_id, "http://10.11.12.13/hook", name="private")
    await produce(kafka_bootstrap, topics.notification_commands, [command_bytes(command)])
    await _changes(kafka_bootstrap, topics, incident_change(tenant_id))
    (row,) = await eventually(lambda: _ledger(db, command.channel_id),
                              lambda r: len(r) == 1 and r[0]["status"] == "failed")  # fmt: skip
    assert row["attempts"] == 0
    assert row["last_error"] == "url refused: 10.11.12.13 resolves to a private address"
