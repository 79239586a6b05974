"""/api/v1/notification-channels through the gateway, applied by the real notifier."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from standardwebhooks.webhooks import Webhook

from guard_api.config import Environment
from guard_contracts.topics import Topics
from guard_devtools.notifications import incident_change, produce
from guard_devtools.receiver import Receiver, run_receiver
from guard_devtools.services import eventually, run_notifier

from .conftest import api_settings, auth, running_client

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]
BASE = "/api/v1/notification-channels"


def _settings(database_url: str, kafka: str, topics: Topics, env: Environment) -> Any:
    settings = api_settings(database_url, kafka, topics, env)
    return settings.model_copy(update={"topic_notification_commands": topics.notification_commands})


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def receiver() -> AsyncIterator[Receiver]:
    async with run_receiver() as r:
        yield r


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def api(
    database_url: str, kafka_bootstrap: str, topics: Topics
) -> AsyncIterator[httpx.AsyncClient]:
    async with run_notifier(kafka_bootstrap, database_url, topics):
        settings = _settings(database_url, kafka_bootstrap, topics, Environment.DEVELOPMENT)
        async with running_client(settings) as client:
            yield client


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"kind": "email"}, "kind", ["webhook", "slack"]),
        ({"change_types": ["opened", "exploded"]}, "change_types.1", ["opened", "cost_anomaly"]),
        ({"min_severity": "urgent"}, "min_severity", ["low", "critical"]),
        ({"categories": ["NOPE"]}, "categories.0", ["COST_ANOMALY"]),
        ({"url": "ftp://example.com/x"}, "url", ["https", "http"]),
        ({"url": "http://10.1.2.3/hook"}, "url", ["private"]),
        ({"url": "http://169.254.169.254/latest"}, "url", ["link-local"]),
        ({"name": ""}, "name", []),
        ({"secret": "mine"}, "secret", []),
    ],
)
async def test_bad_requests_name_the_field_and_the_allowed_values(
    api: httpx.AsyncClient, receiver: Receiver, tenant_id: str, body: dict[str, Any],
    field: str, words: list[str],
) -> None:  # fmt: skip
    valid = {"name": "ops", "kind": "webhook", "url": receiver.url("bad")}
    answer = await api.post(BASE, json=valid | body, headers=auth(tenant_id))
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["field"] == field
    for word in words:
        assert word in error["message"]


async def test_outside_development_only_public_https_urls(
    database_url: str, kafka_bootstrap: str, topics: Topics, tenant_id: str
) -> None:
    settings = _settings(database_url, kafka_bootstrap, topics, Environment.PRODUCTION)
    async with running_client(settings) as api:
        for url, words in (("http://example.com/hook", "https"),
                           ("https://127.0.0.1:9/hook", "loopback"),
                           ("https://localhost/hook", "loopback")):  # fmt: skip
            answer = await api.post(BASE, json={"name": "x", "kind": "slack", "url": url},
                                    headers=auth(tenant_id))  # fmt: skip
            assert answer.status_code == 422, url
            assert words in answer.json()["error"]["message"]


async def test_create_read_test_deliveries_delete(
    api: httpx.AsyncClient, receiver: Receiver, kafka_bootstrap: str, topics: Topics,
    tenant_id: str,
) -> None:  # fmt: skip
    headers = auth(tenant_id)
    body = {"name": "on-call", "kind": "webhook", "url": receiver.url("api"),
            "change_types": ["opened", "resolved"], "min_severity": "high"}  # fmt: skip
    created = await api.post(f"{BASE}?wait=10", json=body, headers=headers)
    assert created.status_code == 202, created.text
    accepted = created.json()
    secret, channel_id = accepted["secret"], accepted["channel_id"]
    assert secret.startswith("whsec_")
    assert accepted["status"] == "active"

    listed = await api.get(BASE, headers=headers)
    assert listed.status_code == 200
    assert secret not in listed.text
    assert "secret" not in listed.text
    (item,) = listed.json()["items"]
    assert item["channel_id"] == channel_id
    assert item["change_types"] == ["opened", "resolved"]
    assert item["min_severity"] == "high"
    one = await api.get(f"{BASE}/{channel_id}", headers=headers)
    assert one.status_code == 200
    assert secret not in one.text
    assert (
        await api.get(f"{BASE}/{channel_id}", headers=auth(f"{tenant_id}-x"))
    ).status_code == 404

    tested = await api.post(f"{BASE}/{channel_id}/test", headers=headers)
    assert tested.status_code == 202
    delivery_id = tested.json()["delivery_id"]
    got = await eventually(lambda: _async(receiver.delivered("api")), lambda r: len(r) == 1)
    assert got[0].webhook_id == delivery_id
    assert Webhook(secret).verify(got[0].body, got[0].headers)["type"] == "notifications.test"

    receiver.answer_always("api", 410)
    change, raw = incident_change(tenant_id)
    await produce(kafka_bootstrap, topics.incident_changes, [(tenant_id, raw)])

    async def failed() -> Any:
        return (
            await api.get(f"{BASE}/{channel_id}/deliveries?status=failed", headers=headers)
        ).json()

    page = await eventually(failed, lambda p: p["total"] == 1)
    (row,) = page["items"]
    assert row["incident_id"] == str(change.incident.incident_id)
    assert row["change_type"] == "opened"
    assert row["attempts"] == 1
    assert row["last_status_code"] == 410
    assert row["last_error"] == "HTTP 410"
    everything = (await api.get(f"{BASE}/{channel_id}/deliveries", headers=headers)).json()
    assert [d["status"] for d in everything["items"]] == ["failed", "delivered"]

    deleted = await api.delete(f"{BASE}/{channel_id}", headers=headers)
    assert deleted.status_code == 202
    await eventually(lambda: api.get(f"{BASE}/{channel_id}", headers=headers),
                     lambda r: r.status_code == 404)  # fmt: skip
    assert (await api.delete(f"{BASE}/{channel_id}", headers=headers)).status_code == 404


async def test_unknown_query_parameters_and_channels(
    api: httpx.AsyncClient, tenant_id: str
) -> None:
    headers = auth(tenant_id)
    answer = await api.get(f"{BASE}?colour=red", headers=headers)
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "colour"
    missing = "00000000-0000-4000-8000-000000000000"
    assert (await api.post(f"{BASE}/{missing}/test", headers=headers)).status_code == 404
    assert (await api.get(f"{BASE}/{missing}/deliveries", headers=headers)).status_code == 404
    assert (await api.get(BASE)).status_code == 401


async def _async(value: Any) -> Any:
    return value
