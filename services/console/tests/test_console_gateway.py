"""What the gateway serves for the console and the docs, without a browser or the servers: the
routes are static (no database), so the app is called in-process without its lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import jwt
import pytest

from guard_api.config import Environment, Settings
from guard_api.console_settings import ConsoleSettings
from guard_api.entrypoints.console import CONSOLE_VENDOR, DOCS_VENDOR
from guard_api.main import create_app

SECRET = "console-gateway-test-secret-0123456789abcdef"


def client_for(environment: Environment) -> httpx.AsyncClient:
    app = create_app(Settings(environment=environment, jwt_secret=SECRET))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw.test")


@pytest.fixture
async def development() -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(Environment.DEVELOPMENT) as client:
        yield client


@pytest.fixture
async def production() -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(Environment.PRODUCTION) as client:
        yield client


async def test_console_page_and_its_assets_are_served_same_origin(
    development: httpx.AsyncClient,
) -> None:
    page = await development.get("/console/")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "http" not in page.text.replace('content="width', "")  # no absolute URL at all
    for name in CONSOLE_VENDOR:
        asset = await development.get(f"/console/vendor/{name}")
        assert asset.status_code == 200, name
        assert asset.headers["content-type"].startswith("text/javascript")
    assert (await development.get("/console", follow_redirects=False)).status_code == 308


async def test_only_allow_listed_node_modules_files_are_served(
    development: httpx.AsyncClient,
) -> None:
    for path in (
        "/console/vendor/package.json",
        "/console/vendor/..%2Fpackage.json",
        "/docs/assets/index.html",
        "/console/../node_modules/axe-core/axe.min.js",
    ):
        assert (await development.get(path)).status_code == 404, path


async def test_docs_use_the_gateways_own_swagger_ui(development: httpx.AsyncClient) -> None:
    docs = await development.get("/docs")
    assert docs.status_code == 200
    assert "cdn" not in docs.text.lower()
    assert "https://" not in docs.text
    for name in DOCS_VENDOR:
        assert f"/docs/assets/{name}" in docs.text
        assert (await development.get(f"/docs/assets/{name}")).status_code == 200
    assert (await development.get("/redoc")).status_code == 404
    schema = (await development.get("/openapi.json")).json()
    assert not any(p.startswith(("/console", "/docs")) for p in schema["paths"])


async def test_demo_token_is_minted_in_development_only(
    development: httpx.AsyncClient, production: httpx.AsyncClient
) -> None:
    assert (await development.get("/console/config.json")).json()["demo_tenant"] is True
    minted = await development.post("/console/demo-token")
    assert minted.status_code == 200
    assert minted.headers["cache-control"] == "no-store"
    claims = jwt.decode(minted.json()["token"], SECRET, algorithms=["HS256"], audience="console")
    assert claims["tenant_id"] == "demo"
    assert claims["exp"] - claims["iat"] == 12 * 3600

    assert (await production.get("/console/config.json")).json()["demo_tenant"] is False
    # The route does not exist at all in production: the static files answer (405 for a POST,
    # 404 for a GET), as for any other unknown path under /console/.
    refused = await production.post("/console/demo-token")
    assert refused.status_code == 405
    assert "token" not in refused.text
    assert (await production.get("/console/demo-token")).status_code == 404
    app = production._transport.app  # type: ignore[attr-defined]
    assert "/console/demo-token" not in {getattr(r, "path", None) for r in app.routes}


async def test_a_missing_install_is_a_clear_503(tmp_path: Path) -> None:
    from fastapi import FastAPI

    from guard_api.entrypoints import console

    app = FastAPI()
    console.install(app, Settings(jwt_secret=SECRET), ConsoleSettings(dir=tmp_path))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gw.test"
    ) as client:
        vendor = await client.get("/console/vendor/lit-html.js")
        assert vendor.status_code == 503
        assert "scripts/bootstrap" in vendor.text
        page = await client.get("/console/")
        assert page.status_code == 503
        assert "GUARD_API_CONSOLE_DIR" in page.text
