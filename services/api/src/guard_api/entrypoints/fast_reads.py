"""The hot reads without FastAPI's per-request machinery (docs/operations-gateway.md#fast-reads).

The console's incident reads (``/active``, ``/{incident_id}``, ``/by-run/{run_id}``) and the
analytics and cost GETs (``/api/v1/incidents/patterns``, ``/metrics``, ``/historical/*``...,
``/guard/costs/*``) cost through FastAPI ~1-2 ms of Python around the query (route matching, a
dozen dependencies, pydantic validation of every query parameter). This ASGI middleware answers
them directly when the request is plainly valid, with the same use cases, the same
authentication, rate limit and error rendering, and the same bytes. ``fast_plans`` lists the
paths it serves, the parameters each accepts and the use case each calls.

Anything it is not sure of goes to FastAPI untouched: an unknown, repeated or non-canonical
parameter (``limit=050``, ``is_synthetic=1``, an upper-case UUID, ``granularity=year``), a
malformed token... FastAPI then answers exactly as it always did, 4xx included. The routes stay
declared in FastAPI, so the OpenAPI contract is unchanged. Each path is first served once by
FastAPI, which tells the lane the route it resolved to; if that is not the expected endpoint (a
route added in front of it), the lane leaves that path to FastAPI for good. Every use case behind
a lane answers JSON bytes already shaped as its route's response_model, which the route sends as
they are, so the lane sends the same bytes.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from guard_api.adapters.errors import ApiError
from guard_api.adapters.ports import GatewayPort
from guard_api.entrypoints import responses
from guard_api.entrypoints.fast_plans import LANES, Decline, Lane, plan

log = logging.getLogger(__name__)


@dataclass
class _Learnt:
    lane: Lane
    endpoint: Callable[..., Any]
    #: The FastAPI route this lane's path resolves to, learnt from its first request; None
    #: before, False when it is not ``endpoint`` (the lane then stays with FastAPI).
    route: Any = None


class FastReads:
    """ASGI middleware in front of FastAPI's routing (inside the request-id, access-log and
    CORS middleware, so those apply unchanged)."""

    def __init__(self, app: ASGIApp, fastapi: FastAPI) -> None:
        self.app = app
        self._fastapi = fastapi
        #: Requests each lane answered itself (``/metrics``: guard_api_fast_reads_served).
        self._served: dict[str, int] = dict.fromkeys(LANES, 0)
        fastapi.state.fast_reads_served = self._served
        self._lanes = {name: _Learnt(lane, lane.endpoint()) for name, lane in LANES.items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        try:
            found = plan(scope["path"], scope["query_string"])
        except Decline:
            found = None
        # No gateway yet (an app served without its lifespan): FastAPI answers as it would.
        gateway: GatewayPort | None = getattr(self._fastapi.state, "gateway", None)
        if found is None or gateway is None or not gateway.settings.fast_reads:
            await self.app(scope, receive, send)
            return
        lane, values = found
        learnt = self._lanes[lane.name]
        if learnt.route is None or learnt.route is False:
            await self._learn(learnt, scope, receive, send)
            return
        scope["route"] = learnt.route  # the access log and metrics label it as FastAPI would
        call = lane.call
        try:
            tenant = _caller(gateway, scope)
            answer = await gateway.read(lambda read: call(read, tenant, values))
        except ApiError as exc:  # rendered by the app's own handlers, as FastAPI would
            await self._error(exc, scope, receive, send)
            return
        # The use case answers JSON bytes shaped as the route's response_model, as the route
        # itself sends them (adapters.ports.JsonDocument).
        response = responses.raw(answer.content)
        self._served[lane.name] += 1
        await response(scope, receive, send)

    async def _learn(self, learnt: _Learnt, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
        if learnt.route is not None:
            return
        route = scope.get("route")
        if not (isinstance(route, APIRoute) and route.endpoint is learnt.endpoint):
            learnt.route = False
            log.warning("fast reads: %s resolves to another route, left to FastAPI", scope["path"])
            return
        learnt.route = route

    async def _error(self, exc: ApiError, scope: Scope, receive: Receive, send: Send) -> None:
        handlers = self._fastapi.exception_handlers
        for kind in type(exc).__mro__:
            handler = handlers.get(kind)
            if handler is not None:
                answer = handler(Request(scope, receive), exc)
                response = await answer if inspect.isawaitable(answer) else answer
                await response(scope, receive, send)
                return
        raise exc  # pragma: no cover - ApiError always has a handler (errors.install)


def _caller(gateway: GatewayPort, scope: Scope) -> str:
    """The verified caller's tenant, counted against its read limit."""
    authorization = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            authorization = value.decode("latin-1")
            break
    caller = gateway.verifier.verify(authorization)
    scope.setdefault("state", {})["tenant_id"] = caller.tenant_id
    gateway.admit(caller.tenant_id, command=False)
    return caller.tenant_id


def install(app: FastAPI) -> None:
    """Add the lane; call before ``ops.install`` so the request middleware wraps it."""
    app.add_middleware(FastReads, fastapi=app)
