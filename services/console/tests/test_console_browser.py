"""The Guard Console in a real Chromium against the real system (see conftest.py).

One story, in order: a tenant's events go to Kafka; the console shows the incidents, acknowledges
and resolves one, exports a SOC2 PDF, draws analytics and costs from the test's numbers; another
tenant sees none of it; the API docs work with the internet blocked.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import expect

from guard_api.config import Environment
from guard_contracts.topics import Topics

from .conftest import (
    WIDTHS,
    System,
    axe_violations,
    console_gateway,
    open_page,
    screenshot,
    serve,
    wait_until,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

ACTIVE = "/api/v1/incidents/active"


async def sign_in(page: Any, url: str, token: str) -> None:
    await page.goto(f"{url}/console/")
    await page.get_by_label("Access token (JWT)").fill(token)
    await page.get_by_role("button", name="Sign in").click()


async def wait_for_incidents(page: Any, count: int) -> None:
    """Ingest applies the events asynchronously: reload the list until they are all there."""
    rows = page.locator("table.incidents tbody tr")
    for _ in range(60):
        if await rows.count() >= count:
            return
        await page.wait_for_timeout(500)
        await page.evaluate("location.hash = '#/incidents?tab=active&_=' + Date.now()")
    raise AssertionError(f"fewer than {count} incidents appeared in the console")


async def chart_values(page: Any, canvas_id: str) -> list[list[float]]:
    """The numbers Chart.js drew on a canvas, per dataset."""
    values: list[list[float]] = await page.evaluate(
        "(id) => Chart.getChart(document.getElementById(id)).data.datasets.map(d => d.data)",
        canvas_id,
    )
    return values


async def assert_accessible(page: Any) -> None:
    violations = await axe_violations(page)
    assert violations == [], violations


async def test_incident_list_detail_acknowledge_resolve_and_soc2(
    system: System, browser: Any
) -> None:
    story = system.story
    async with open_page(browser) as (page, errors):
        await sign_in(page, system.url, story.token())
        await expect(page.get_by_role("heading", name="Incidents")).to_be_visible()
        await wait_for_incidents(page, 2)
        breach = page.locator("table.incidents tbody tr", has_text=re.compile("budget", re.I))
        await expect(breach.locator(".sev")).to_have_text(re.compile(r"\w+"))
        await expect(page.get_by_role("link", name=re.compile(r"Active\s*\(2\)"))).to_be_visible()
        await assert_accessible(page)
        await screenshot(page, "incidents-1280")
        await page.set_viewport_size({"width": WIDTHS["phone"], "height": 900})
        await screenshot(page, "incidents-390")
        await page.set_viewport_size({"width": WIDTHS["desktop"], "height": 900})

        # Filters reach the API: only the failure spike is not a budget breach.
        await page.get_by_label("Category").select_option("BUDGET_EXCEEDED")
        await page.get_by_role("button", name="Apply").click()
        await expect(page.locator("table.incidents tbody tr")).to_have_count(1)
        await page.get_by_role("link", name="Clear").click()
        await expect(page.locator("table.incidents tbody tr")).to_have_count(2)
        # Paging, one per page.
        await page.goto(f"{system.url}/console/#/incidents?tab=active&limit=1")
        await expect(page.locator(".pager")).to_contain_text("Showing 1–1 of 2")
        await page.get_by_role("link", name="Next →").click()
        await expect(page.locator(".pager")).to_contain_text("Showing 2–2 of 2")
        await expect(page.get_by_role("link", name="Next →")).to_have_count(0)
        await page.get_by_role("link", name="← Previous").click()
        await expect(page.locator(".pager")).to_contain_text("Showing 1–1 of 2")
        await page.goto(f"{system.url}/console/#/incidents?tab=active")
        await expect(page.locator("table.incidents tbody tr")).to_have_count(2)

        # Detail: facts, proof, timeline with time and actor.
        await breach.get_by_role("link").first.click()
        await expect(page.locator("h1")).to_contain_text(re.compile("budget", re.I))
        await expect(page.locator("[data-proof]")).to_have_attribute("data-proof", "VERIFIED")
        await expect(page.get_by_text("Fingerprint")).to_be_visible()
        await expect(page.locator("ol.timeline li").first).to_contain_text("Opened")
        await expect(page.get_by_text(story.run_id).first).to_be_visible()
        await assert_accessible(page)
        await screenshot(page, "detail-1280")

        # Acknowledge: the state changes once ingest has applied the command.
        await page.get_by_role("button", name=re.compile("^Acknowledge")).click()
        await page.get_by_label("Notes").fill("looking into it")
        await page.locator("dialog").get_by_role("button", name="Acknowledge").click()
        await expect(page.locator(".detail-head .state").first).to_have_text(
            "Acknowledged", timeout=30_000
        )
        acked = page.locator("ol.timeline li[data-entry=acknowledged]")
        await expect(acked).to_contain_text("by ops@example.com")
        await expect(acked).to_contain_text("looking into it")

        # Resolve with a method and notes.
        await page.get_by_role("button", name=re.compile("^Resolve")).click()
        await page.get_by_label("Resolution method").select_option("rollback")
        await page.get_by_label("Notes").fill("rolled back the prompt change")
        await page.locator("dialog").get_by_role("button", name="Resolve").click()
        await expect(page.locator(".detail-head .state").first).to_have_text(
            "Resolved", timeout=30_000
        )
        await expect(page.locator("ol.timeline li[data-entry=resolved]")).to_contain_text(
            "Rollback"
        )

        # SOC2 PDF: progress, then a download.
        await page.locator("[data-export=soc2]").click()
        await expect(page.locator("[data-export-status=soc2]")).to_be_visible()
        download_button = page.locator("[data-download=soc2]")
        await expect(download_button).to_be_visible(timeout=60_000)
        async with page.expect_download() as info:
            await download_button.click()
        download = await info.value
        assert download.suggested_filename.startswith("soc2_")
        assert download.suggested_filename.endswith(".pdf")
        path = await download.path()
        assert path is not None
        assert path.read_bytes()[:5] == b"%PDF-"
        await screenshot(page, "detail-resolved-1280")
        await page.set_viewport_size({"width": WIDTHS["phone"], "height": 900})
        await screenshot(page, "detail-390")

        # The resolved list has it now; the active count dropped to one.
        await page.goto(f"{system.url}/console/#/incidents?tab=resolved")
        await expect(page.locator("table.incidents tbody tr")).to_have_count(1)
        # The resolved list is sorted by resolution time and shows it (not the creation time).
        await expect(page.locator("table.incidents thead")).to_contain_text("Resolved")
        await expect(page.locator("table.incidents td[data-label=Resolved] time")).to_have_count(1)
        await expect(page.get_by_role("link", name=re.compile(r"Active\s*\(1\)"))).to_be_visible()
        assert errors == []


async def test_analytics_and_costs_draw_the_tests_numbers(system: System, browser: Any) -> None:
    story = system.story
    async with open_page(browser) as (page, errors):
        await sign_in(page, system.url, story.token())
        await wait_for_incidents(page, 1)
        # Analytics rollups follow the incident changes; retry until both incidents are counted.
        for _ in range(40):
            await page.goto(f"{system.url}/console/#/analytics?granularity=day")
            await page.wait_for_selector("#chart-cost-trend", timeout=15_000)
            await wait_until(page, "() => window.Chart && Chart.getChart('chart-cost-trend')")
            costs = await chart_values(page, "chart-cost-trend")
            if round(sum(costs[0]), 2) == float(story.incident_cost_usd):
                break
            await page.wait_for_timeout(500)
        assert round(sum(costs[0]), 2) == float(story.incident_cost_usd)
        assert sum(costs[1]) == 2
        trend = await chart_values(page, "chart-trend")
        assert sum(trend[0]) == 2
        # The cost chart's second axis counts incidents: no "0.5 incidents" ticks.
        ticks = await page.evaluate(
            "() => Chart.getChart('chart-cost-trend').scales.y2.ticks.map(t => t.value)"
        )
        assert ticks
        assert all(float(t).is_integer() for t in ticks), ticks
        tile = page.locator("[data-metric=mttr]")
        await tile.focus()
        await expect(tile.locator(".def")).to_be_visible()
        await expect(tile.locator(".def")).to_contain_text("Resolved at minus created at")
        await expect(page.get_by_text("2 incidents in the last 30 days.")).to_be_visible()
        # Names are in words, never the API's codes (RATE_LIMIT, cost_spike) or "1 incidents".
        shown = await page.locator("main").inner_text()
        assert not re.search(r"\b[A-Z]+_[A-Z_]+\b|\b[a-z]+_[a-z_]+\b|\b1 [a-z]+s\b", shown), shown
        await assert_accessible(page)
        await screenshot(page, "analytics-1280")
        await page.set_viewport_size({"width": WIDTHS["phone"], "height": 900})
        await screenshot(page, "analytics-390")
        await page.set_viewport_size({"width": WIDTHS["desktop"], "height": 900})

        for _ in range(40):
            await page.goto(f"{system.url}/console/#/costs")
            await page.wait_for_selector("[data-today]", timeout=15_000)
            if await page.get_attribute("[data-today]", "data-today") == str(story.today_cents):
                break
            await page.wait_for_timeout(500)
        await expect(page.locator("[data-today]")).to_have_text("$3.21")
        await wait_until(page, "() => window.Chart && Chart.getChart('chart-drivers')")
        today = await chart_values(page, "chart-today")
        assert today[0][0] == pytest.approx(3.21)
        drivers = await chart_values(page, "chart-drivers")
        assert drivers[0] == [pytest.approx(3.21), pytest.approx(3.21)]  # one feature, one model
        await expect(page.get_by_text("checkout-bot").first).to_be_visible()
        await expect(page.locator("[data-budget=Daily]")).to_contain_text("$5.00")
        await assert_accessible(page)
        await screenshot(page, "costs-1280")
        await page.set_viewport_size({"width": WIDTHS["phone"], "height": 900})
        await screenshot(page, "costs-390")
        assert errors == []


async def test_another_tenant_sees_none_of_it(system: System, browser: Any) -> None:
    story = system.story
    async with open_page(browser) as (page, errors):
        await sign_in(page, system.url, story.token())
        await wait_for_incidents(page, 1)
        first = page.locator("table.incidents tbody tr").first
        incident_id = await first.get_attribute("data-incident")
        await page.get_by_role("button", name="Sign out").click()
        await expect(page.get_by_text("You have signed out.")).to_be_visible()

        await sign_in(page, system.url, story.token(story.other))
        await expect(page.get_by_text("No open incidents. All quiet.")).to_be_visible()
        await expect(page.get_by_role("link", name=re.compile(r"Resolved\s*\(0\)"))).to_be_visible()
        await screenshot(page, "other-tenant-empty-1280")
        await page.goto(f"{system.url}/console/#/incident/{incident_id}")
        await expect(page.get_by_role("alert")).to_contain_text("Not found")
        await page.goto(f"{system.url}/console/#/costs")
        await expect(page.locator("[data-today]")).to_have_text("$0.00")
        await expect(page.get_by_text("checkout-bot")).to_have_count(0)
        # No spend: no spend chart, and no script error about the chart that is not there.
        await wait_until(page, "() => window.Chart && Chart.getChart('chart-today')")
        await expect(page.get_by_text("No spend recorded in this period.")).to_be_visible()
        await expect(page.locator("#toast")).to_be_empty()
        await page.goto(f"{system.url}/console/#/analytics?granularity=day")
        await wait_until(page, "() => window.Chart && Chart.getChart('chart-cost-trend')")
        costs = await chart_values(page, "chart-cost-trend")
        assert sum(costs[0]) == 0
        assert sum(costs[1]) == 0
        # The gateway answers 404 for the incident, which the browser logs as a failed request.
        assert [e for e in errors if "404" not in e] == []


async def test_in_production_the_detail_keeps_its_timeline_and_names_what_is_preflight_only(
    system: System, browser: Any, kafka_bootstrap: str, database_url: str, topics: Topics
) -> None:
    story = system.story
    app = console_gateway(database_url, kafka_bootstrap, topics, environment=Environment.PRODUCTION)
    async with serve(app) as url, open_page(browser) as (page, errors):
        await sign_in(page, url, story.token())
        await wait_for_incidents(page, 1)
        await page.locator("table.incidents tbody tr").first.get_by_role("link").first.click()
        await expect(page.locator("ol.timeline li").first).to_contain_text("Opened")
        await expect(page.locator("ol.timeline li").first).to_contain_text("killswitch ks-")
        proof = page.get_by_role("region", name="Proof")
        await expect(proof).to_contain_text("Proof unavailable")
        await expect(proof).to_contain_text("preflight")
        evidence = page.get_by_role("region", name="Evidence")
        await expect(evidence).to_contain_text("Evidence unavailable")
        await assert_accessible(page)
        await screenshot(page, "detail-production-1280")
        # Proof and evidence answer 403 preflight_only, which the browser logs as failed requests.
        assert [e for e in errors if "403" not in e] == []


async def test_expired_token_and_tenantless_token_get_clear_messages(
    system: System, browser: Any
) -> None:
    story = system.story
    async with open_page(browser, width=390) as (page, _):
        await sign_in(page, system.url, story.token(ttl_seconds=-60))
        await expect(page.get_by_role("alert")).to_contain_text("expired")
        await expect(page.get_by_label("Access token (JWT)")).to_be_visible()
        await screenshot(page, "signin-expired-390")
        assert await page.evaluate("sessionStorage.length") == 0

        # A token that is not one (a cut-off paste) is called that, not "sign in with a token".
        await sign_in(page, system.url, "eyJhbGciOiJIUzI1NiJ9.cut-off")
        await expect(page.get_by_role("alert")).to_contain_text("did not accept this token")
        await expect(page.get_by_role("alert")).to_contain_text("malformed")

        # A tenant claim that is not a tenant id is named as such (not "no tenant").
        await sign_in(page, system.url, story.token("not a tenant!"))
        await expect(page.get_by_role("alert")).to_contain_text("not a valid tenant id")

        tenantless = _without_tenant(story.token())
        await sign_in(page, system.url, tenantless)
        await expect(page.get_by_role("alert")).to_contain_text("carries no tenant")
        await assert_accessible(page)

        # A phone that opens the list directly: the filters fold away, the rows come first.
        await sign_in(page, system.url, story.token())
        await wait_for_incidents(page, 1)
        await expect(page.locator("details.filter-box")).not_to_have_attribute("open", "")
        await assert_accessible(page)
        await screenshot(page, "incidents-fresh-390")


def _without_tenant(token: str) -> str:
    import jwt

    from .conftest import SECRET

    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="console")
    del claims["tenant_id"]
    return jwt.encode(claims, SECRET, algorithm="HS256")


async def test_demo_tenant_button_signs_in_during_development(system: System, browser: Any) -> None:
    async with open_page(browser) as (page, errors):
        await page.goto(f"{system.url}/console/")
        await page.get_by_role("button", name="Use the demo tenant").click()
        await expect(page.locator(".who")).to_contain_text("demo")
        await expect(page.get_by_role("heading", name="Incidents")).to_be_visible()
        token = await page.evaluate("sessionStorage.getItem('guard.console.token')")
        assert token
        assert token.count(".") == 2
        assert token not in page.url
        await screenshot(page, "demo-signed-in-1280")
        assert errors == []


async def test_api_docs_load_with_the_internet_blocked(system: System, browser: Any) -> None:
    async with open_page(browser) as (page, errors):
        blocked: list[str] = []

        async def only_loopback(route: Any) -> None:
            if route.request.url.startswith(system.url):
                await route.continue_()
            else:
                blocked.append(route.request.url)
                await route.abort()

        await page.route("**/*", only_loopback)
        await page.goto(f"{system.url}/docs")
        await expect(page.locator(".opblock").first).to_be_visible(timeout=30_000)
        await expect(page.get_by_text("/api/v1/incidents/active").first).to_be_visible()
        assert await page.locator(".opblock").count() >= 20
        await screenshot(page, "docs-offline-1280")
        assert blocked == []
        assert errors == []


async def test_keyboard_only_and_a_gateway_that_cannot_be_reached(
    system: System, browser: Any
) -> None:
    story = system.story
    async with open_page(browser) as (page, errors):
        await page.goto(f"{system.url}/console/")
        await page.keyboard.press("Tab")
        await expect(page.locator(".skip")).to_be_focused()
        await page.get_by_label("Access token (JWT)").focus()
        await page.keyboard.type(story.token())
        await page.keyboard.press("Tab")
        await expect(page.get_by_role("button", name="Sign in")).to_be_focused()
        await page.keyboard.press("Enter")
        await wait_for_incidents(page, 1)

        spike = page.locator("table.incidents tbody tr", has_text="Failure spike")
        await spike.get_by_role("link").focus()
        await page.keyboard.press("Enter")
        await expect(page.locator("h1")).to_contain_text("Failure spike")
        await expect(page.locator("main")).to_be_focused()  # focus follows the page change
        await page.get_by_role("button", name=re.compile("^Resolve")).focus()
        await page.keyboard.press("Enter")
        await expect(page.locator("dialog")).to_be_visible()
        await expect(page.get_by_label("Resolution method")).to_be_focused()
        await page.keyboard.press("Escape")  # cancel: nothing is sent
        await expect(page.locator("dialog")).to_be_hidden()
        await expect(page.locator(".detail-head .state").first).not_to_have_text("Resolved")

        # The gateway goes away: the page says so in words and offers a retry.
        await page.route("**/api/v1/**", lambda route: route.abort())
        await page.goto(f"{system.url}/console/#/analytics")
        await expect(page.get_by_role("alert")).to_contain_text("could not be reached")
        await screenshot(page, "analytics-unreachable-1280")
        await page.unroute("**/api/v1/**")
        await page.get_by_role("button", name="Try again").click()
        await expect(page.locator("[data-metric=mtta]")).to_be_visible()
        # Only the aborted requests themselves may be logged.
        assert [e for e in errors if "ERR_FAILED" not in e] == []


async def test_the_filter_form_follows_the_address_and_odd_addresses_get_plain_answers(
    system: System, browser: Any
) -> None:
    story = system.story
    async with open_page(browser) as (page, errors):
        await sign_in(page, system.url, story.token())
        await wait_for_incidents(page, 1)
        category, per_page = page.get_by_label("Category"), page.get_by_label("Per page")
        # Open incidents have no resolution time: the active list does not offer it as a sort.
        sorts = await page.get_by_label("Sort by").locator("option").all_inner_texts()
        assert sorts == ["Created at", "Severity"]
        # Back and Clear change the address; the form must show what the list applies.
        await category.select_option("BUDGET_EXCEEDED")
        await per_page.select_option("50")
        await page.get_by_role("button", name="Apply").click()
        await expect(page).to_have_url(re.compile("category=BUDGET_EXCEEDED"))
        await page.go_back()
        await expect(page).not_to_have_url(re.compile("category="))
        await expect(category).to_have_value("")
        await expect(per_page).to_have_value("20")
        await page.go_forward()
        await expect(category).to_have_value("BUDGET_EXCEEDED")
        await expect(per_page).to_have_value("50")
        await page.get_by_role("link", name="Clear").click()
        await expect(page).not_to_have_url(re.compile("category="))
        await expect(category).to_have_value("")
        await expect(per_page).to_have_value("20")

        # A page past the end (a bookmark, or the last row of the last page was resolved) is
        # not "all quiet": it says so and leads back to the first page.
        await page.goto(f"{system.url}/console/#/incidents?tab=active&offset=40")
        past = page.locator("[data-past-end]")
        await expect(past).to_contain_text("past the end")
        await expect(page.get_by_text("All quiet")).to_have_count(0)
        await past.get_by_role("link", name="Go to the first page.").click()
        await expect(page.locator("table.incidents tbody tr").first).to_be_visible()

        # An empty or malformed incident link is "not found", without asking the API.
        asked: list[str] = []
        page.on("request", lambda r: asked.append(r.url) if "/api/v1/incidents/" in r.url else None)
        for address, says in (("#/incident/", "names no incident"),
                              ("#/incident/not-an-id", "“not-an-id” is not an incident id")):  # fmt: skip
            await page.goto(f"{system.url}/console/{address}")
            await expect(page.get_by_role("heading", name="Not found")).to_be_visible()
            await expect(page.locator("main")).to_contain_text(says)
        assert [u for u in asked if "not-an-id" in u or re.search("/incidents/(/|$)", u)] == []
        assert errors == []


async def test_long_unbroken_names_wrap_inside_the_page_at_both_widths(
    system: System, browser: Any, kafka_bootstrap: str, topics: Topics
) -> None:
    """Ids and names may be 256 characters with no space; none may widen the page."""
    import uuid
    from datetime import UTC, datetime, timedelta

    from .conftest import publish

    tenant = f"long-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    agent = "agent-ζωή-日本語-" + "x" * 236
    feature = "feature-" + "f" * 240

    def event(kind: str, at: datetime, **fields: Any) -> dict[str, Any]:
        return {"event_id": str(uuid.uuid4()), "event_type": kind, "schema_version": 1,
                "tenant_id": tenant, "occurred_at": at.isoformat(), **fields}  # fmt: skip

    await publish(kafka_bootstrap, topics, {
        "killswitch": [event(
            "killswitch.triggered", now - timedelta(minutes=2), killswitch_id="ks-long",
            trigger_type="budget_breach", action="stopped", agent_id=agent,
            policy_id="policy-" + "p" * 240, run_id="run-" + "r" * 240,
            reason="reason-" + "y" * 400, calls_affected=3, cost_delta_usd="1.50",
        )],
        "anomaly": [event(
            "cost.anomaly_detected", now - timedelta(minutes=1), anomaly_type="cost_spike",
            entity_type="feature", entity_id=feature, current_usd="9.00", expected_usd="1.00",
            threshold="2", severity="high", window_start=(now - timedelta(hours=1)).isoformat(),
            window_end=now.isoformat(),
        )],
        "cost": [event(
            "cost.recorded", now - timedelta(minutes=3), model="model-" + "m" * 200,
            provider="anthropic", input_tokens=10, output_tokens=10, cost_usd="1.25",
            feature_tag=feature, user_id="user-" + "u" * 240, status="ok",
        )],
    })  # fmt: skip
    fits = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    async with open_page(browser) as (page, errors):
        await sign_in(page, system.url, system.story.token(tenant))
        await wait_for_incidents(page, 2)
        anomaly_link = page.locator("table.incidents tbody tr", has_text="Cost spike").get_by_role(
            "link"
        )
        anomaly = f"{system.url}/console/{await anomaly_link.get_attribute('href')}"
        breach_link = page.locator("table.incidents tbody tr", has_text=agent[:20]).get_by_role(
            "link"
        )
        breach = f"{system.url}/console/{await breach_link.get_attribute('href')}"
        for width in WIDTHS.values():
            await page.set_viewport_size({"width": width, "height": 900})
            await page.goto(f"{system.url}/console/#/incidents?tab=active&w={width}")
            await expect(page.locator("table.incidents tbody tr")).to_have_count(2)
            assert await page.evaluate(fits), f"the incident list is wider than {width} px"
            await page.goto(breach)
            await expect(page.locator("ol.timeline li").first).to_contain_text("reason-yyy")
            assert await page.evaluate(fits), f"the incident is wider than {width} px"
            await screenshot(page, f"long-names-detail-{width}")
            for attempt in range(40):
                await page.goto(f"{system.url}/console/#/costs?w={width}&_={attempt}")
                await page.wait_for_selector("[data-today]")
                if await page.locator("#chart-drivers").count():
                    break
                await page.wait_for_timeout(500)
            await wait_until(page, "() => window.Chart && Chart.getChart('chart-drivers')")
            assert await page.evaluate(fits), f"the costs page is wider than {width} px"
            await screenshot(page, f"long-names-costs-{width}")
        # The spend chart cuts its axis labels (the table below has the whole name).
        labels = await page.evaluate(
            "() => Chart.getChart('chart-drivers').scales.y.ticks.map(t => t.label)"
        )
        assert labels
        assert all(len(label) <= 32 for label in labels), labels
        # An incident without a trigger (a cost anomaly) shows no empty "Trigger" fact.
        await page.goto(anomaly)
        await expect(page.locator("dl.facts dt", has_text="Category").first).to_be_visible()
        facts = await page.locator("[aria-labelledby=h-facts] dl.facts dd").all_inner_texts()
        assert all(text.strip() for text in facts), facts
        await expect(
            page.locator("[aria-labelledby=h-facts] dt", has_text="Trigger")
        ).to_have_count(0)
        assert errors == []


async def test_a_link_opened_while_signed_out_is_where_sign_in_leads(
    system: System, browser: Any
) -> None:
    """The notifier's "Open in Guard Console" link is ``#/incidents/<id>`` (services/notifier);
    whoever follows it signs in first and must then see that incident, not the list."""
    story = system.story
    async with open_page(browser) as (page, errors):
        await sign_in(page, system.url, story.token())
        await wait_for_incidents(page, 1)
        row = page.locator("table.incidents tbody tr").first
        incident_id = await row.get_attribute("data-incident")
        title = await row.get_by_role("link").first.inner_text()
        await page.get_by_role("button", name="Sign out").click()

        await page.goto(f"{system.url}/console/#/incidents/{incident_id}")
        await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        await page.get_by_label("Access token (JWT)").fill(story.token())
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.locator("h1")).to_have_text(title)
        await expect(page.locator("[aria-labelledby=h-facts]")).to_contain_text(str(incident_id))
        await page.reload()  # a reload keeps the page (the token lives in the tab)
        await expect(page.locator("h1")).to_have_text(title)

        # A token that runs out while reading: sign in again and be back on the same page.
        await page.goto(f"{system.url}/console/#/costs?period=7d")
        await expect(page.locator("[data-today]")).to_be_visible()
        await page.evaluate(
            "(t) => sessionStorage.setItem('guard.console.token', t)", story.token(ttl_seconds=-60)
        )
        await page.goto(f"{system.url}/console/#/analytics?granularity=day")
        await expect(page.get_by_role("alert")).to_contain_text("expired")
        await page.get_by_label("Access token (JWT)").fill(story.token())
        await page.get_by_role("button", name="Sign in").click()
        await expect(page).to_have_url(re.compile("#/analytics\\?granularity=day$"))
        await expect(page.locator("[data-metric=mtta]")).to_be_visible()
        assert errors == []


async def test_a_tenant_over_its_read_limit_is_told_how_long_to_wait(
    system: System, browser: Any, kafka_bootstrap: str, database_url: str, topics: Topics
) -> None:
    """A gateway whose read limit is two a minute answers the third read 429 with Retry-After:
    the page says so in words, with the wait the gateway asked for."""
    app = console_gateway(database_url, kafka_bootstrap, topics, rate_limit_reads="2/minute")
    async with serve(app) as url, open_page(browser) as (page, _errors):
        limited: list[str | None] = []
        page.on(
            "response",
            lambda r: limited.append(r.headers.get("retry-after")) if r.status == 429 else None,
        )
        await sign_in(page, url, system.story.token())
        for _ in range(4):  # each visit reads again, until the limit answers
            if limited:
                break
            await page.evaluate("location.hash = '#/incidents?tab=active&_=' + Date.now()")
            await page.wait_for_timeout(300)
        assert limited, "the gateway never answered 429"
        assert limited[0] is not None
        seconds = int(limited[0])
        wait = "in 1 second" if seconds == 1 else f"in {seconds} seconds"
        await expect(page.get_by_role("alert").first).to_contain_text(
            f"Too many requests for this tenant. Try again {wait}."
        )


async def test_a_gateway_without_its_database_answers_in_words_and_keeps_the_token(
    system: System, browser: Any, kafka_bootstrap: str, topics: Topics
) -> None:
    """The gateway's database is a closed port: it answers 503 with Retry-After. The page says
    so, and the pasted token (which may be fine) stays in the box for a retry."""
    from guard_devtools.infra_common import ephemeral_port

    dead = f"postgresql+asyncpg://guard@127.0.0.1:{ephemeral_port()}/guard"
    app = console_gateway(dead, kafka_bootstrap, topics)
    token = system.story.token()
    async with serve(app) as url, open_page(browser) as (page, errors):
        answers: list[tuple[int, str | None]] = []
        page.on(
            "response",
            lambda r: (
                answers.append((r.status, r.headers.get("retry-after")))
                if "/api/v1/incidents/active" in r.url
                else None
            ),
        )
        await sign_in(page, url, token)
        await expect(page.get_by_role("alert")).to_contain_text("temporarily unavailable")
        assert answers
        assert answers[0][0] == 503
        assert answers[0][1]
        # The wait the gateway asked for is the one the page names.
        seconds = int(answers[0][1])
        wait = "in 1 second" if seconds == 1 else f"in {seconds} seconds"
        await expect(page.get_by_role("alert")).to_contain_text(f"Try again {wait}.")
        await expect(page.get_by_label("Access token (JWT)")).to_have_value(token)
        assert await page.evaluate("sessionStorage.length") == 0
        # Retrying goes to the gateway again (still down): same words, token still there.
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_role("alert")).to_contain_text("temporarily unavailable")
        await expect(page.get_by_label("Access token (JWT)")).to_have_value(token)
        assert len(answers) == 2
        await screenshot(page, "signin-database-down-1280")
        # Only the 503 answers themselves may be logged.
        assert [e for e in errors if "503" not in e] == []


async def test_the_list_follows_new_incidents_live_for_its_tenant_only(
    system: System, browser: Any, kafka_bootstrap: str, topics: Any
) -> None:
    """Runs last: it opens a new tenant's incident while two pages watch."""
    import uuid
    from datetime import UTC, datetime

    from .conftest import publish

    tenant = f"live-{uuid.uuid4().hex[:8]}"
    async with (
        open_page(browser) as (page, errors),
        open_page(browser) as (other_page, other_errors),
    ):
        await sign_in(page, system.url, system.story.token(tenant))
        await sign_in(other_page, system.url, system.story.token(f"watcher-{uuid.uuid4().hex[:6]}"))
        for watching in (page, other_page):
            await expect(watching.get_by_text("No open incidents. All quiet.")).to_be_visible()
            await expect(watching.locator(".live-status")).to_have_attribute("data-live", "on")
        event = {
            "event_id": str(uuid.uuid4()), "event_type": "killswitch.triggered",
            "schema_version": 1, "tenant_id": tenant,
            "occurred_at": datetime.now(UTC).isoformat(), "killswitch_id": "ks-live",
            "trigger_type": "rate_limit", "action": "throttled", "agent_id": "agent-live",
            "policy_id": "rpm", "calls_affected": 1,
        }  # fmt: skip
        await publish(kafka_bootstrap, topics, {"killswitch": [event]})
        # No reload, no navigation: the stream brings it.
        await expect(page.locator("table.incidents tbody tr")).to_have_count(1, timeout=30_000)
        await expect(page.get_by_role("link", name=re.compile(r"Active\s*\(1\)"))).to_be_visible()
        await screenshot(page, "live-1280")
        await other_page.wait_for_timeout(1000)
        await expect(other_page.get_by_text("No open incidents. All quiet.")).to_be_visible()
        assert errors == []
        assert other_errors == []


async def test_the_change_stream_is_authenticated_and_not_in_the_schema(system: System) -> None:
    import httpx

    from guard_api.entrypoints.console_stream import STREAM_PATH

    async with httpx.AsyncClient(base_url=system.url, timeout=20) as client:
        refused = await client.get(STREAM_PATH)
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "not_authenticated"
        headers = {"Authorization": f"Bearer {system.story.token()}"}
        async with client.stream("GET", STREAM_PATH, headers=headers) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.aiter_lines()
            seen = [await anext(lines) for _ in range(4)]
        assert "event: ready" in seen
        schema = (await client.get("/openapi.json")).json()
        assert STREAM_PATH not in schema["paths"]
