"""Operating the gateway: request ids, access log, /metrics, CORS, per-tenant rate limits, 503 with
Retry-After while Kafka is away, and exports answerable from the moment of the 202."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import pytest_asyncio

from guard_api.config import Environment, Settings
from guard_api.main import create_app
from guard_contracts.topics import Topics

from .conftest import InsertIncident, api_settings, auth, running_client, serve_on_loopback

pytestmark = pytest.mark.integration
BASE = "/api/v1/incidents"
CHANNELS = "/api/v1/notification-channels"


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def no_exporter_client(
    database_url: str, kafka_bootstrap: str, topics: Topics
) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway with its export topic but no exporter reading it: jobs stay unrecorded."""
    settings = api_settings(database_url, kafka_bootstrap, topics, Environment.DEVELOPMENT)
    settings = settings.model_copy(update={"topic_export_requests": topics.export_requests})
    async with running_client(settings) as http:
        yield http


async def test_status_right_after_the_202_is_pending_for_the_owner_only(
    no_exporter_client: httpx.AsyncClient, tenant_id: str, insert_incident: InsertIncident
) -> None:
    incident = await insert_incident(tenant_id)
    accepted = await no_exporter_client.post(
        f"{BASE}/{incident}/export/soc2", json={"format": "pdf"}, headers=auth(tenant_id)
    )
    assert accepted.status_code == 202, accepted.text
    export_id = accepted.json()["export_id"]
    status = await no_exporter_client.get(f"/api/v1/exports/{export_id}", headers=auth(tenant_id))
    assert status.status_code == 200, status.text
    shown = status.json()
    assert (shown["status"], shown["incident_id"], shown["kind"]) == (
        "pending",
        str(incident),
        "soc2",
    )
    assert shown["requested_by"] == "operator-1"
    # Not downloadable yet: "not ready", not "not found".
    download = await no_exporter_client.get(
        f"/api/v1/exports/{export_id}/download", headers=auth(tenant_id)
    )
    assert (download.status_code, download.json()["error"]["code"]) == (409, "export_not_ready")
    # Another tenant, or an id nobody minted: 404.
    stranger = await no_exporter_client.get(
        f"/api/v1/exports/{export_id}", headers=auth("tenant-somebody-else")
    )
    assert stranger.status_code == 404
    random_id = await no_exporter_client.get(
        f"/api/v1/exports/{uuid.uuid4()}", headers=auth(tenant_id)
    )
    assert random_id.status_code == 404


async def test_request_id_is_echoed_or_generated_and_logged(
    no_exporter_client: httpx.AsyncClient, tenant_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="guard_api.access"):
        given = await no_exporter_client.get(
            f"{BASE}/active", headers={**auth(tenant_id), "X-Request-ID": "trace-abc.123"}
        )
        made = await no_exporter_client.get(f"{BASE}/active", headers=auth(tenant_id))
        junk = await no_exporter_client.get(
            f"{BASE}/active", headers={**auth(tenant_id), "X-Request-ID": "bad id with spaces"}
        )
    assert given.headers["x-request-id"] == "trace-abc.123"
    assert len(made.headers["x-request-id"]) == 32
    assert junk.headers["x-request-id"] != "bad id with spaces"
    lines = [r for r in caplog.records if r.name == "guard_api.access"]
    logged = next(r for r in lines if getattr(r, "request_id", None) == "trace-abc.123")
    assert logged.__dict__["route"] == f"{BASE}/active"
    assert logged.__dict__["status"] == 200
    assert logged.__dict__["tenant_id"] == tenant_id


async def test_metrics_expose_latency_by_route_template_and_pool_usage(
    no_exporter_client: httpx.AsyncClient, tenant_id: str, insert_incident: InsertIncident
) -> None:
    incident = await insert_incident(tenant_id)
    assert (
        await no_exporter_client.get(f"{BASE}/{incident}", headers=auth(tenant_id))
    ).status_code == 200
    text = (await no_exporter_client.get("/metrics")).text
    assert (
        'guard_api_request_duration_seconds_count{method="GET",'
        'route="/api/v1/incidents/{incident_id}",status="200"}'
    ) in text
    assert str(incident) not in text  # templates, not raw paths
    assert "guard_api_db_pool_size 5.0" in text
    assert "guard_api_db_pool_checked_out" in text


async def test_cors_is_off_by_default_and_follows_the_allow_list(
    database_url: str, kafka_bootstrap: str, topics: Topics, no_exporter_client: httpx.AsyncClient
) -> None:
    preflight = {
        "Origin": "https://console.example",
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization",
    }
    closed = await no_exporter_client.options(f"{BASE}/active", headers=preflight)
    assert "access-control-allow-origin" not in closed.headers
    settings = api_settings(database_url, kafka_bootstrap, topics, Environment.DEVELOPMENT)
    settings = settings.model_copy(update={"cors_allow_origins": ["https://console.example"]})
    async with running_client(settings) as http:
        allowed = await http.options(f"{BASE}/active", headers=preflight)
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://console.example"
        other = await http.options(
            f"{BASE}/active", headers={**preflight, "Origin": "https://evil.example"}
        )
        assert "access-control-allow-origin" not in other.headers
        # A channel is deleted with DELETE: a console on another origin may send it.
        delete = await http.options(
            f"/api/v1/notification-channels/{uuid.uuid4()}",
            headers={**preflight, "Access-Control-Request-Method": "DELETE"},
        )
        assert delete.status_code == 200
        assert "DELETE" in delete.headers["access-control-allow-methods"]


async def test_each_tenant_has_its_own_read_and_command_limits(
    database_url: str, kafka_bootstrap: str, topics: Topics, insert_incident: InsertIncident
) -> None:
    tenant = f"tenant-rl-{uuid.uuid4().hex[:8]}"
    incident = await insert_incident(tenant)
    settings = api_settings(database_url, kafka_bootstrap, topics, Environment.DEVELOPMENT)
    settings = settings.model_copy(
        update={
            "rate_limit_enabled": True,
            "rate_limit_reads": "3/minute",
            "rate_limit_commands": "1/minute",
        }
    )
    async with running_client(settings) as http:
        reads = [
            (await http.get(f"{BASE}/active", headers=auth(tenant))).status_code for _ in range(4)
        ]
        assert reads == [200, 200, 200, 429]
        limited = await http.get(f"{BASE}/active", headers=auth(tenant))
        assert limited.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        # Another tenant is not affected; commands have their own budget.
        assert (await http.get(f"{BASE}/active", headers=auth("tenant-other"))).status_code == 200
        first = await http.post(f"{BASE}/{incident}/acknowledge", headers=auth(tenant))
        assert first.status_code == 202, first.text
        second = await http.post(f"{BASE}/{incident}/acknowledge", headers=auth(tenant))
        assert second.status_code == 429


async def test_commands_exports_and_channel_commands_answer_503_with_retry_after_while_kafka_is_away(
    database_url: str, topics: Topics, tenant_id: str, insert_incident: InsertIncident
) -> None:
    incident = await insert_incident(tenant_id)
    # Port 1 on localhost refuses connections: the broker is "down" from the start.
    settings: Settings = api_settings(database_url, "127.0.0.1:1", topics, Environment.DEVELOPMENT)
    settings = settings.model_copy(update={"kafka_timeout_s": 1.0})
    async with running_client(settings) as http:
        read = await http.get(f"{BASE}/{incident}", headers=auth(tenant_id))
        assert read.status_code == 200
        for path, body in (
            (f"{BASE}/{incident}/acknowledge", None),
            (f"{BASE}/{incident}/export/soc2", {"format": "pdf"}),
            (CHANNELS, {"name": "ops", "kind": "webhook", "url": "http://127.0.0.1:9/hook"}),
        ):
            answer = await http.post(path, json=body, headers=auth(tenant_id))
            assert answer.status_code == 503, answer.text
            assert answer.json()["error"]["code"] == "unavailable"
            assert int(answer.headers["retry-after"]) >= 1


def test_a_body_over_the_limit_is_413_before_it_is_read(
    database_url: str, kafka_bootstrap: str, topics: Topics, tenant_id: str
) -> None:
    """Fuzzing finding: a 20 MB acknowledge body was read into memory, then refused as a long
    ``notes``; any size was buffered. Now 413, by Content-Length or as chunks arrive."""
    settings = api_settings(database_url, kafka_bootstrap, topics, Environment.DEVELOPMENT)
    settings = settings.model_copy(update={"max_body_bytes": 16 * 1024})
    path = f"{BASE}/{uuid.uuid4()}/acknowledge"
    big = b'{"notes":"' + b"a" * (16 * 1024) + b'"}'

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(big), 1000):
            yield big[start : start + 1000]

    with (
        serve_on_loopback(create_app(settings)) as url,
        httpx.Client(base_url=url, headers=auth(tenant_id), timeout=30) as http,
    ):
        for content in (big, chunks()):  # Content-Length, then chunked
            response = http.post(
                path, content=content, headers={"Content-Type": "application/json"}
            )
            assert response.status_code == 413, response.text
            assert response.json() == {"error": {
                "code": "payload_too_large", "message": "body: larger than 16384 bytes",
                "field": "body"}}  # fmt: skip
            assert response.headers["x-request-id"]
        # Just under the limit the route answers as before (a 4096-character notes limit).
        fits = b'{"notes":"' + b"a" * 5000 + b'"}'
        response = http.post(path, content=fits, headers={"Content-Type": "application/json"})
        assert (response.status_code, response.json()["error"]["field"]) == (422, "notes")
