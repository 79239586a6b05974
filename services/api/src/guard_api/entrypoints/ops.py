"""Operating the gateway (docs/operations-gateway.md): request ids, JSON access logs, Prometheus
``/metrics``, CORS, and the 503/429 answers that carry ``Retry-After``.

``install(app, settings)`` is called once by ``create_app``. The request middleware is plain ASGI
(no per-request task or body buffering) so it costs little on the hot read paths.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import secrets
import time
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from guard_api.adapters.errors import TooManyRequests, Unavailable
from guard_api.config import Settings
from guard_contracts.api.common import ErrorBody, ErrorDetail

access_log = logging.getLogger("guard_api.access")

REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
#: Latency buckets (seconds): the read paths answer in milliseconds, ``?wait`` in seconds.
_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer"},
    }
}
#: Documented on every authenticated route: the rate limit, and a dependency being away.
RETRYABLE_RESPONSES: dict[int | str, dict[str, Any]] = {
    429: {
        "model": ErrorBody,
        "description": "`rate_limited`: the tenant's read or command limit is spent.",
        "headers": _RETRY_AFTER,
    },
    503: {
        "model": ErrorBody,
        "description": "`unavailable`: PostgreSQL or Kafka cannot be reached now; retry.",
        "headers": _RETRY_AFTER,
    },
}


class _RequestIds:
    """Fresh request ids: 32 hex characters, a random 64-bit prefix per process and a counter
    (one ``uuid4`` per request was a system call and ~2 % of a cached read's CPU)."""

    def __init__(self) -> None:
        self._pid = -1
        self._prefix = ""
        self._counter = itertools.count()

    def next(self) -> str:
        if self._pid != os.getpid():  # a forked worker must not repeat its parent's ids
            self._pid = os.getpid()
            self._prefix = secrets.token_hex(8)
            self._counter = itertools.count()
        return f"{self._prefix}{next(self._counter) & 0xFFFF_FFFF_FFFF_FFFF:016x}"


_ids = _RequestIds()


def incoming_request_id(value: str | None) -> str:
    """The caller's ``X-Request-ID`` when it is a sane token, else a fresh one."""
    if value is not None and _REQUEST_ID.fullmatch(value):
        return value
    return _ids.next()


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class RequestMiddleware:
    """Gives every request an id (``X-Request-ID`` in and out), times it into the latency
    histogram by route template and status, and writes one JSON access-log line."""

    def __init__(self, app: ASGIApp, histogram: Histogram) -> None:
        self.app = app
        self.histogram = histogram

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        header = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                header = value.decode("latin-1")
                break
        request_id = incoming_request_id(header)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        status = 500
        raw_id = request_id.encode()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", raw_id))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            self.histogram.labels(scope["method"], route, str(status)).observe(elapsed)
            access_log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": scope["path"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 3),
                    "tenant_id": state.get("tenant_id"),
                },
            )


class BodyLimitMiddleware:
    """Refuses a request body over ``limit`` bytes with 413 ``payload_too_large``: by its
    ``Content-Length`` before any of it is read, or, sent in chunks, as soon as the chunks pass
    the limit (the route's answer is then dropped). Every body the API takes is a few KiB; without
    this a client could make the gateway buffer any size (docs/api/README.md#errors)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def _refuse(self, send: Send) -> None:
        body = ErrorBody(
            error=ErrorDetail(
                code="payload_too_large",
                message=f"body: larger than {self.limit} bytes",
                field="body",
            )
        )
        payload = body.model_dump_json().encode()
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
            (b"connection", b"close")]})  # fmt: skip
        await send({"type": "http.response.body", "body": payload})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunked = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                if value.isdigit() and int(value) > self.limit:
                    await self._refuse(send)
                    return
                # The server delivers no more than the declared length: nothing to count.
                await self.app(scope, receive, send)
                return
            chunked = chunked or name == b"transfer-encoding"
        if not chunked:  # no body at all (every GET): nothing to count either
            await self.app(scope, receive, send)
            return
        received = 0
        refused = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    refused = True
                    await self._refuse(send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not refused:
                await send(message)

        await self.app(scope, limited_receive, guarded_send)


class PoolCollector(Collector):
    """Database pool usage and the fast lane's counts, read at scrape time from the running
    gateway."""

    def __init__(self, app: FastAPI) -> None:
        self._app = app

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        served: dict[str, int] | None = getattr(self._app.state, "fast_reads_served", None)
        if served is not None:
            lanes = CounterMetricFamily(
                "guard_api_fast_reads_served",
                "Requests the fast lane answered itself, by lane (docs/operations-gateway.md).",
                labels=["lane"],
            )
            for lane, count in sorted(served.items()):
                lanes.add_metric([lane], count)
            yield lanes
        gateway = getattr(self._app.state, "gateway", None)
        if gateway is None:
            return
        usage = gateway.pool_usage()
        size = GaugeMetricFamily("guard_api_db_pool_size", "Connections the pool keeps.")
        size.add_metric([], usage.size)
        used = GaugeMetricFamily(
            "guard_api_db_pool_checked_out", "Pooled connections lent to requests now."
        )
        used.add_metric([], usage.checked_out)
        yield size
        yield used


def _error(
    status: int, code: str, message: str, retry_after: int, request: Request
) -> JSONResponse:
    body = ErrorBody(error=ErrorDetail(code=code, message=message, field=None))
    return JSONResponse(
        body.model_dump(), status_code=status, headers={"Retry-After": str(retry_after)}
    )


def install(app: FastAPI, settings: Settings) -> None:
    registry = CollectorRegistry()
    histogram = Histogram(
        "guard_api_request_duration_seconds",
        "HTTP request latency by method, route template and status.",
        ("method", "route", "status"),
        buckets=_BUCKETS,
        registry=registry,
    )
    registry.register(PoolCollector(app))

    async def unavailable(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Unavailable)
        retry = exc.retry_after or settings.retry_after_s
        return _error(503, exc.code, exc.message, retry, request)

    async def too_many(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, TooManyRequests)
        return _error(429, exc.code, exc.message, exc.retry_after, request)

    app.add_exception_handler(Unavailable, unavailable)
    app.add_exception_handler(TooManyRequests, too_many)

    router = APIRouter(tags=["ops"])

    @router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    app.include_router(router)
    # Inside CORS and the request middleware: a 413 carries CORS headers, an id and a log line.
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_body_bytes)
    if settings.cors_allow_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_allow_origins,
            # Every method a route answers: the console deletes notification channels too.
            allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After", "Content-Disposition"],
            max_age=600,
        )
    # Added last, so it is the outermost: it sees CORS answers and errors too.
    app.add_middleware(RequestMiddleware, histogram=histogram)
