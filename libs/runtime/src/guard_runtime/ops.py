"""The ops HTTP app every service runs beside its consumers: /healthz, /readyz, /metrics.

``/healthz`` answers 200 while the process serves requests (liveness). ``/readyz`` asks the
service's readiness callback (e.g. "the broker is connected and the database answers") and answers
200 or 503. ``/metrics`` exposes the Prometheus registry in the text format.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import uvicorn
from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

log = logging.getLogger(__name__)

#: True when the service can do its work, or (ready, detail) to say why not (e.g. "catching up:
#: 12000 records behind"); may be sync or async.
ReadinessResult = bool | tuple[bool, str | None]
Readiness = Callable[[], Awaitable[ReadinessResult] | ReadinessResult]


def create_ops_app(
    service: str, readiness: Readiness, registry: CollectorRegistry = REGISTRY
) -> FastAPI:
    app = FastAPI(title=f"{service} ops", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @app.get("/readyz")
    async def readyz(response: Response) -> dict[str, str]:
        detail: str | None = None
        try:
            result = readiness()
            answer = await result if inspect.isawaitable(result) else result
            ready, detail = answer if isinstance(answer, tuple) else (answer, None)
        except Exception:
            log.exception("readiness check failed")
            ready = False
        if not ready:
            response.status_code = 503
        body = {"status": "ready" if ready else "not_ready", "service": service}
        return body | ({"detail": detail} if detail else {})

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to the FastStream app it runs beside."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def run_with_ops(
    app: Any, ops_app: FastAPI, *, host: str, port: int, log_level: int = logging.INFO
) -> None:
    """Run a FastStream app and the ops app until SIGINT/SIGTERM, then stop both.

    FastStream owns the signals: on SIGTERM it stops its subscribers, waiting (up to the broker's
    ``graceful_timeout``) for the batch in hand; the ops server stops after it, so /healthz
    answers for as long as the process still works.
    """
    server = _QuietServer(
        uvicorn.Config(ops_app, host=host, port=port, log_config=None, access_log=False)
    )
    serving = asyncio.create_task(server.serve(), name="ops-http")
    try:
        await app.run(log_level=log_level)
    finally:
        server.should_exit = True
        await serving
