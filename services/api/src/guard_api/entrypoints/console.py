"""The Guard Console under ``/console/`` and the API docs under ``/docs``, both served from this
process: nothing is fetched from the internet at run time (services/console/README.md).

``install(app, settings)`` is called once by ``create_app``. It

- replaces FastAPI's CDN-backed ``/docs`` with Swagger UI from the npm package ``swagger-ui-dist``
  (and drops ``/redoc``, whose bundle would also come from a CDN);
- serves the console's own files (``services/console/static``) and an allow-list of files from its
  ``node_modules`` (installed by ``scripts/bootstrap`` with ``npm ci``);
- in development only, adds ``POST /console/demo-token``; in any other environment the route does
  not exist at all;
- adds the live incident-change stream (``console_stream.py``).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.routing import BaseRoute, Route

from guard_api.adapters.change_stream import ChangeHub
from guard_api.adapters.demo_token import can_mint, mint_demo_token
from guard_api.config import Settings
from guard_api.console_settings import ConsoleSettings
from guard_api.entrypoints.console_stream import install_stream

DOCS_PATH = "/docs"
DOCS_ASSETS = "/docs/assets"
CONSOLE_PATH = "/console"

#: URL name → file under node_modules. Only these are served; the rest of node_modules is not.
CONSOLE_VENDOR: dict[str, str] = {
    "lit-html.js": "lit-html/lit-html.js",
    "chart.umd.min.js": "chart.js/dist/chart.umd.min.js",
}
DOCS_VENDOR: dict[str, str] = {
    "swagger-ui-bundle.js": "swagger-ui-dist/swagger-ui-bundle.js",
    "swagger-ui.css": "swagger-ui-dist/swagger-ui.css",
    "favicon-32x32.png": "swagger-ui-dist/favicon-32x32.png",
}
_MEDIA = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
#: The console is same-origin only: scripts and data from this gateway, no framing.
CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)
_REPLACED = {"/docs", "/docs/oauth2-redirect", "/redoc"}


def _vendor_response(node_modules: Path, allowed: dict[str, str], name: str) -> FileResponse:
    relative = allowed.get(name)
    if relative is None:
        raise HTTPException(404, f"{name}: not a served asset")
    path = node_modules / relative
    if not path.is_file():
        # The page cannot work without it; say how to get it rather than a bare 404.
        raise HTTPException(503, f"{relative} is missing: run scripts/bootstrap (npm ci)")
    return FileResponse(
        path,
        media_type=_MEDIA.get(path.suffix, "application/octet-stream"),
        headers={"Cache-Control": "no-cache"},
    )


class _ConsoleFiles(StaticFiles):
    """The console's static folder with its security headers; revalidated on each load."""

    async def get_response(self, path: str, scope):  # type: ignore[no-untyped-def]
        response = await super().get_response(path, scope)
        response.headers["Content-Security-Policy"] = CONSOLE_CSP
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response


def _install_docs(app: FastAPI, node_modules: Path) -> None:
    app.router.routes[:] = [r for r in app.router.routes if not _is_replaced(r)]
    openapi_url = app.openapi_url or "/openapi.json"

    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
            oauth2_redirect_url=f"{DOCS_PATH}/oauth2-redirect",
        )

    async def oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    async def docs_asset(name: str) -> FileResponse:
        return _vendor_response(node_modules, DOCS_VENDOR, name)

    app.add_api_route(DOCS_PATH, swagger_ui, include_in_schema=False)
    app.add_api_route(f"{DOCS_PATH}/oauth2-redirect", oauth2_redirect, include_in_schema=False)
    app.add_api_route(f"{DOCS_ASSETS}/{{name}}", docs_asset, include_in_schema=False)


def _is_replaced(route: BaseRoute) -> bool:
    return isinstance(route, Route) and route.path in _REPLACED


def install(app: FastAPI, settings: Settings, console: ConsoleSettings | None = None) -> None:
    console = console or ConsoleSettings()
    demo = can_mint(settings)
    _install_docs(app, console.node_modules)
    install_stream(app, ChangeHub(settings.kafka_bootstrap_servers, console.topic_incident_changes))

    async def console_root() -> RedirectResponse:
        return RedirectResponse(f"{CONSOLE_PATH}/", status_code=308)

    async def vendor(name: str) -> FileResponse:
        return _vendor_response(console.node_modules, CONSOLE_VENDOR, name)

    async def console_config() -> JSONResponse:
        """What the page needs before sign-in: whether the demo button can work."""
        return JSONResponse(
            {"environment": settings.environment.value, "demo_tenant": demo},
            headers={"Cache-Control": "no-store"},
        )

    app.add_api_route(CONSOLE_PATH, console_root, include_in_schema=False)
    app.add_api_route(f"{CONSOLE_PATH}/vendor/{{name}}", vendor, include_in_schema=False)
    app.add_api_route(f"{CONSOLE_PATH}/config.json", console_config, include_in_schema=False)
    if demo:

        async def demo_token() -> JSONResponse:
            minted = mint_demo_token(settings, console.demo_tenant)
            return JSONResponse(asdict(minted), headers={"Cache-Control": "no-store"})

        app.add_api_route(
            f"{CONSOLE_PATH}/demo-token", demo_token, methods=["POST"], include_in_schema=False
        )
    if not console.static_dir.is_dir():
        missing = str(console.static_dir)

        async def no_console(path: str) -> JSONResponse:
            raise HTTPException(
                503, f"the console files are not at {missing}; set GUARD_API_CONSOLE_DIR"
            )

        app.add_api_route(f"{CONSOLE_PATH}/{{path:path}}", no_console, include_in_schema=False)
        return
    app.mount(CONSOLE_PATH, _ConsoleFiles(directory=console.static_dir, html=True), name="console")
