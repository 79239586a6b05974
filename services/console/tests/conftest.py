"""The whole system for the console's browser tests: real Kafka and PostgreSQL, ingest, analytics
and the exporter in-process, the gateway in a real uvicorn on 127.0.0.1, and Debian's Chromium
driven by Playwright (never ``playwright install``: the browser comes from apt, see README.md).

Screenshots go to ``.local/screenshots/`` (look at them: they are the artifacts of these tests).
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import uvicorn
from aiokafka import AIOKafkaProducer

from guard_api.config import Environment
from guard_api.config import Settings as ApiSettings
from guard_api.main import create_app as create_gateway
from guard_contracts.topics import Topics
from guard_devtools.infra_common import ephemeral_port
from guard_devtools.services import RunningIngest
from guard_devtools.token import mint

REPO = Path(__file__).resolve().parents[3]
SCREENSHOTS = REPO / ".local" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
AXE = REPO / "services" / "console" / "node_modules" / "axe-core" / "axe.min.js"
SECRET = "console-browser-test-secret-0123456789abcdef"
#: The flags the brief and README give: headless, no sandbox (root in CI), nothing phoning home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDTHS = {"desktop": 1280, "phone": 390}


@asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    """``app`` in a real uvicorn on this event loop, on a free 127.0.0.1 port."""
    port = ephemeral_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    for _ in range(400):
        if server.started or task.done():
            break
        await asyncio.sleep(0.05)
    if task.done():
        task.result()  # raises the start-up error
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


@asynccontextmanager
async def running_analytics(kafka: str, database_url: str, topics: Topics) -> AsyncIterator[None]:
    from guard_analytics.config import Settings as AnalyticsSettings
    from guard_analytics.main import create_app

    settings = AnalyticsSettings(
        kafka_bootstrap_servers=kafka,
        database_url=database_url,
        cost_interval_s=0.2,
        incident_interval_s=2.0,
        anomaly_interval_s=1.0,
        batch_timeout_ms=50,
        incident_group_id=f"analytics-console-{uuid.uuid4().hex[:8]}",
        topic_cost_anomalies=topics.cost_anomalies,
        topic_incident_changes=topics.incident_changes,
        topic_analytics_results=topics.analytics_results,
    )
    app, _, _ = create_app(settings)
    await app.start()
    try:
        yield
    finally:
        await app.stop()


@asynccontextmanager
async def running_exporter(kafka: str, database_url: str, topics: Topics) -> AsyncIterator[None]:
    from guard_exporter.config import Settings
    from guard_exporter.main import create_app

    settings = Settings(
        database_url=database_url,
        kafka_bootstrap_servers=kafka,
        topic_export_requests=topics.export_requests,
        topic_export_results=topics.export_results,
        topic_dlq=topics.dlq,
        group_id=f"exporter-console-{uuid.uuid4().hex[:8]}",
        signing_key=base64.b64encode(bytes(range(32))).decode(),
        retry_backoff_seconds=0.2,
        environment="development",
    )
    _, broker, parts = create_app(settings)
    await parts.start()
    await broker.start()
    try:
        yield
    finally:
        await broker.stop()
        await parts.stop()


def gateway_settings(database_url: str, kafka: str, topics: Topics, **kw: Any) -> ApiSettings:
    return ApiSettings(
        database_url=database_url,
        kafka_bootstrap_servers=kafka,
        topic_incident_commands=topics.incident_commands,
        topic_export_requests=topics.export_requests,
        environment=kw.pop("environment", Environment.DEVELOPMENT),
        jwt_secret=SECRET,
        db_pool_size=4,
        **kw,
    )


def console_gateway(database_url: str, kafka: str, topics: Topics, **kw: Any) -> Any:
    """The gateway app with the console's live stream on this test's incident-change topic;
    ``kw`` are further gateway settings."""
    # create_app reads the console's settings from the environment (GUARD_API_CONSOLE_*).
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GUARD_API_CONSOLE_TOPIC_INCIDENT_CHANGES", topics.incident_changes)
        return create_gateway(gateway_settings(database_url, kafka, topics, **kw))


@dataclass
class Story:
    """What the test published for tenant ``tenant`` (``other`` published nothing)."""

    tenant: str
    other: str
    incident_cost_usd: str = "13.25"  # 12.50 + 0.75, the killswitch cost deltas below
    today_cents: int = 321  # 1.00 + 2.00 + 0.21, the cost events of today below
    run_id: str = field(default_factory=lambda: f"run-{uuid.uuid4().hex[:6]}")

    def token(self, tenant: str | None = None, **kw: Any) -> str:
        return mint(tenant or self.tenant, subject="ops@example.com", secret=SECRET, **kw)


def story_events(story: Story, now: datetime) -> dict[str, list[dict[str, Any]]]:
    tenant = story.tenant

    def event(kind: str, at: datetime, **fields: Any) -> dict[str, Any]:
        return {"event_id": str(uuid.uuid4()), "event_type": kind, "schema_version": 1,
                "tenant_id": tenant, "occurred_at": at.isoformat(), **fields}  # fmt: skip

    breach = event(
        "killswitch.triggered", now - timedelta(minutes=3), killswitch_id="ks-breach",
        trigger_type="budget_breach", action="stopped", run_id=story.run_id, agent_id="agent-7",
        policy_id="daily-budget", rule="spend_today > 50 USD", reason="daily budget exceeded",
        calls_affected=30, cost_delta_usd="12.50",
    )  # fmt: skip
    spike = event(
        "killswitch.triggered", now - timedelta(minutes=2), killswitch_id="ks-spike",
        trigger_type="failure_spike", action="throttled", run_id=f"{story.run_id}-b",
        agent_id="agent-8", policy_id="error-rate", calls_affected=5, cost_delta_usd="0.75",
    )  # fmt: skip
    today = now.replace(minute=0, second=0, microsecond=0)
    costs = [
        event("cost.recorded", max(today, now - timedelta(minutes=m)), model="claude-sonnet-4",
              provider="anthropic", input_tokens=900, output_tokens=200, cost_usd=usd,
              run_id=story.run_id, feature_tag="checkout-bot", user_id="u-ada", status="ok")
        for m, usd in ((30, "1.00"), (20, "2.00"), (10, "0.21"))
    ]  # fmt: skip
    budget = event(
        "budget.set", now - timedelta(hours=1), budget_type="tenant", entity_id=tenant,
        daily_limit_usd="5", monthly_limit_usd="100", hard_limit_enabled=True,
    )  # fmt: skip
    return {"killswitch": [breach, spike], "cost": costs, "budget": [budget]}


async def publish(kafka: str, topics: Topics, events: dict[str, list[dict[str, Any]]]) -> None:
    """A plain producer, as any client of the platform would send events."""
    target = {"killswitch": topics.killswitch_events, "cost": topics.cost_events,
              "budget": topics.budgets, "anomaly": topics.cost_anomalies}  # fmt: skip
    producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all")
    await producer.start()
    try:
        for kind, items in events.items():
            for item in items:
                await producer.send_and_wait(
                    target[kind], json.dumps(item).encode(), key=item["tenant_id"].encode()
                )
    finally:
        await producer.stop()


def check_prerequisites() -> None:
    if not CHROMIUM.exists():
        pytest.fail(
            "Debian's chromium is missing: run scripts/bootstrap (apt-get install chromium)"
        )
    if not AXE.exists():
        pytest.fail("services/console/node_modules is missing: run scripts/bootstrap (npm ci)")


@dataclass
class System:
    url: str
    story: Story


@asynccontextmanager
async def running_gateway(kafka: str, database_url: str, topics: Topics) -> AsyncIterator[str]:
    """Analytics and the exporter in-process, the gateway on a real port; yields its URL.
    (Ingest comes from the ``ingest_service`` fixture of guard_devtools.services.)"""
    check_prerequisites()
    app = console_gateway(database_url, kafka, topics)
    async with (
        running_analytics(kafka, database_url, topics),
        running_exporter(kafka, database_url, topics),
        serve(app) as url,
    ):
        yield url


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def system(
    kafka_bootstrap: str, database_url: str, topics: Topics, ingest_service: RunningIngest
) -> AsyncIterator[System]:
    story = Story(
        tenant=f"console-{uuid.uuid4().hex[:8]}",
        other=f"other-{uuid.uuid4().hex[:8]}",
    )
    await publish(kafka_bootstrap, topics, story_events(story, datetime.now(UTC)))
    async with running_gateway(kafka_bootstrap, database_url, topics) as url:
        yield System(url=url, story=story)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()


class PageErrors(list[str]):
    """Console errors and uncaught exceptions of a page; a test ends by asserting it is empty."""


@asynccontextmanager
async def open_page(browser: Any, width: int = 1280) -> AsyncIterator[tuple[Any, PageErrors]]:
    context = await browser.new_context(
        viewport={"width": width, "height": 900}, accept_downloads=True, service_workers="block"
    )
    page = await context.new_page()
    errors = PageErrors()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        yield page, errors
    finally:
        await context.close()


async def wait_until(page: Any, expression: str, within_s: float = 20.0) -> None:
    """Poll a JavaScript expression through the DevTools protocol. (``wait_for_function`` evaluates
    a string inside the page, which the console's CSP rightly forbids.)"""
    for _ in range(int(within_s / 0.1)):
        if await page.evaluate(expression):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{expression} stayed false for {within_s}s")


async def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.wait_for_timeout(300)  # charts follow a viewport change on the next frames
    await page.screenshot(path=str(path), full_page=True)
    return path


async def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core (npm) run in the page; serious and critical violations only."""
    # Evaluated through the DevTools protocol, so the page's CSP (script-src 'self') stays on.
    await page.evaluate(AXE.read_text() + "\n;true")
    result = await page.evaluate("async () => (await axe.run(document)).violations")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result
        if v["impact"] in ("serious", "critical")
    ]
