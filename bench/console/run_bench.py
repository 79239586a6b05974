"""Console page-load benchmark: the first load of the incident list with 1,000 open incidents.

    .venv/bin/python bench/console/run_bench.py            # 1,000 open incidents, 15 cold loads

Creates its own database on the server of ``DATABASE_URL`` (migrated with the project's
migrations), COPYs one tenant's incidents into it (``--open`` ACTIVE/ACKED plus ``--resolved``
RESOLVED, deterministic), starts the real gateway (``python -m guard_api``) on a free port, then
opens ``/console/#/incidents`` in Debian's Chromium (Playwright, ``executable_path``) in a fresh
browser context each time — empty cache, token already in sessionStorage — and measures from
navigation start until the first page of rows is in the DOM (the page's own User Timing mark
``guard:incidents-rendered``, so the browser's clock and not the driver's round trips). It also reports what the page
fetched (requests, bytes). The database is dropped at the end. Results: bench/console/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from guard_devtools.infra_common import ephemeral_port
from guard_devtools.token import mint
from guard_storage.db import to_async_url, to_asyncpg_dsn
from guard_storage.migrate import upgrade
from guard_storage.models.ingest import Incident

REPO = Path(__file__).resolve().parents[2]
TENANT = "bench-console"
SECRET = "console-bench-secret-0123456789abcdef01"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
COLUMNS = [c.name for c in Incident.__table__.columns
           if c.name not in {"contained_at", "timeline_length", "timeline_head"}]  # fmt: skip
TRIGGERS = [("budget_breach", "BUDGET_EXCEEDED"), ("failure_spike", "EXECUTION_FAILURE"),
            ("rate_limit", "RATE_LIMIT"), ("content_policy", "CONTENT_POLICY")]  # fmt: skip


def rows(open_count: int, resolved_count: int, now: datetime) -> list[tuple[Any, ...]]:
    rng = random.Random(13)
    out = []
    for n in range(open_count + resolved_count):
        trigger, category = rng.choice(TRIGGERS)
        created = now - timedelta(minutes=rng.randint(1, 60 * 24 * 20))
        resolved = n >= open_count
        state = "RESOLVED" if resolved else rng.choice(["ACTIVE", "ACTIVE", "ACKED"])
        agent, policy = f"agent-{rng.randint(1, 40)}", f"policy-{rng.randint(1, 9)}"
        values = {
            "incident_id": uuid.UUID(int=rng.getrandbits(128), version=4),
            "tenant_id": TENANT, "lifecycle_state": state,
            "severity": rng.choice(["low", "medium", "high", "critical"]),
            "category": category, "cause_type": "LLM_RUN",
            "title": f"{trigger.replace('_', ' ').capitalize()}: stopped, {policy}, {agent}",
            "description": "benchmark incident", "source_type": "killswitch",
            "fingerprint": f"{trigger}|{policy}|{agent}", "llm_run_id": f"run-{n}",
            "affected_agent_id": agent, "policy_id": policy, "trigger_type": trigger,
            "calls_affected": rng.randint(1, 50), "event_count": rng.randint(1, 9),
            "cost_impact_micros": rng.randint(0, 50_000_000),
            "created_at": created, "first_event_at": created, "last_event_at": created,
            "acked_at": created + timedelta(minutes=3) if state == "ACKED" else None,
            "acked_by": "ops" if state == "ACKED" else None,
            "resolved_at": created + timedelta(minutes=30) if resolved else None,
            "resolved_by": "ops" if resolved else None,
            "resolution_method": "manual" if resolved else None,
            "recurrence_of": None, "is_synthetic": False, "updated_at": created,
        }  # fmt: skip
        out.append(tuple(values.get(c) for c in COLUMNS))
    return out


async def load(server_url: str, database: str, open_count: int, resolved_count: int) -> str:
    base, _, _ = to_async_url(server_url).rpartition("/")
    admin = await asyncpg.connect(to_asyncpg_dsn(server_url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{database}"')
    finally:
        await admin.close()
    url = f"{base}/{database}"
    await asyncio.to_thread(upgrade, url)
    conn = await asyncpg.connect(to_asyncpg_dsn(url))
    try:
        records = rows(open_count, resolved_count, datetime.now(UTC))
        await conn.copy_records_to_table("incidents", records=records, columns=COLUMNS)
        await conn.execute("ANALYZE incidents")
    finally:
        await conn.close()
    return url


async def drop(server_url: str, database: str) -> None:
    admin = await asyncpg.connect(to_asyncpg_dsn(server_url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await admin.close()


def start_gateway(url: str, port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, DATABASE_URL=url, GUARD_API_PORT=str(port), GUARD_API_JWT_SECRET=SECRET,
               GUARD_API_ENVIRONMENT="development", GUARD_API_LOG_LEVEL="WARNING")  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "guard_api"], env=env, cwd=REPO)
    import urllib.request

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2):
                return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("the gateway did not become ready")


async def measure(base: str, loads: int) -> list[dict[str, float]]:
    from playwright.async_api import async_playwright

    token = mint(TENANT, secret=SECRET)
    results = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            for n in range(loads + 1):  # the first load warms the gateway's pool, not counted
                context = await browser.new_context(viewport={"width": 1280, "height": 900})
                await context.add_init_script(
                    f"sessionStorage.setItem('guard.console.token', {token!r})"
                )
                page = await context.new_page()
                await page.goto(f"{base}/console/#/incidents")
                # Polled with evaluate: wait_for_function evaluates strings, which the CSP forbids.
                for _ in range(600):
                    if await page.evaluate(
                        "performance.getEntriesByName('guard:incidents-rendered').length > 0"
                    ):
                        break
                    await asyncio.sleep(0.05)
                assert await page.locator("table.incidents tbody tr").count() == 20
                sample = await page.evaluate(
                    """() => {
                      const nav = performance.getEntriesByType('navigation')[0];
                      const res = performance.getEntriesByType('resource');
                      const api = res.find(r => r.name.includes('/api/v1/incidents/active'));
                      const mark = performance.getEntriesByName('guard:incidents-rendered')[0];
                      return {rows_ms: mark.startTime,
                              api_start_ms: api ? api.startTime : 0,
                              api_ms: api ? api.duration : 0,
                              dcl_ms: nav.domContentLoadedEventEnd,
                              requests: res.length + 1,
                              bytes: res.reduce((n, r) => n + r.transferSize, nav.transferSize)};
                    }"""
                )
                await context.close()
                if n:
                    results.append(sample)
        finally:
            await browser.close()
    return results


def report(samples: list[dict[str, float]], open_count: int) -> str:
    times = sorted(s["rows_ms"] for s in samples)
    p95 = times[max(0, round(0.95 * len(times)) - 1)]
    return (
        f"open incidents: {open_count}; cold loads: {len(times)}\n"
        f"list rendered (navigation start → 20 rows in the DOM): median {statistics.median(times):.0f} ms,"
        f" p95 {p95:.0f} ms, max {times[-1]:.0f} ms\n"
        f"DOMContentLoaded: median {statistics.median(s['dcl_ms'] for s in samples):.0f} ms; "
        f"list request starts at {statistics.median(s['api_start_ms'] for s in samples):.0f} ms"
        f" and takes {statistics.median(s['api_ms'] for s in samples):.0f} ms (medians)\n"
        f"requests: {samples[0]['requests']:.0f}; bytes transferred: {samples[0]['bytes'] / 1024:.0f} KiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="guard_bench_console")
    parser.add_argument("--open", type=int, default=1_000)
    parser.add_argument("--resolved", type=int, default=2_000)
    parser.add_argument("--loads", type=int, default=15)
    args = parser.parse_args()
    server = os.environ["DATABASE_URL"]
    url = asyncio.run(load(server, args.database, args.open, args.resolved))
    port = ephemeral_port()
    gateway = start_gateway(url, port)
    try:
        samples = asyncio.run(measure(f"http://127.0.0.1:{port}", args.loads))
    finally:
        gateway.terminate()
        gateway.wait(30)
        asyncio.run(drop(server, args.database))
    print(report(samples, args.open))


if __name__ == "__main__":
    main()
