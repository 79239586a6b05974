"""Composition root: ``create_app(settings)`` wires settings, resources and routers.

Adding endpoints: write a module in ``guard_api.entrypoints`` with a module-level ``router`` and
list it in ``guard_api.entrypoints.ROUTERS`` (see the order rule there). Use cases reach the
routers through the gateway (``app.state.gateway``) and its request scope, never by import.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from guard_runtime.gc_tuning import tune_gc

from guard_api.adapters.gateway import Gateway
from guard_api.adapters.ports import GatewayPort
from guard_api.config import Settings
from guard_api.entrypoints import ROUTERS, console, fast_reads, health, ops
from guard_api.entrypoints.errors import install_error_handlers


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        gateway = Gateway(settings)
        await gateway.start()
        port: GatewayPort = gateway  # the edge sees the gateway only through its port
        app.state.gateway = port
        # The routes and pools now live as long as the process: out of the collector's scans,
        # and young collections far less often (docs/operations-gateway.md#cost-per-request).
        tune_gc(settings.gc_gen0_threshold)
        try:
            yield
        finally:
            await gateway.stop()

    app = FastAPI(
        title="Guard Incidents API",
        version="1.0.0",
        description="Tenant-scoped incidents of the Guard platform (read, acknowledge, resolve).",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    fast_reads.install(app)  # before ops: its request middleware must wrap the lane
    ops.install(app, settings)
    for router in ROUTERS:
        # Every authenticated route can answer 429 (rate limit) and 503 (dependency away).
        public = router is health.router
        app.include_router(router, responses=None if public else ops.RETRYABLE_RESPONSES)
    console.install(app, settings)  # /console/ and /docs, served locally
    return app
