"""The hottest reads without FastAPI's per-request machinery (docs/operations-gateway.md#fast-reads).

``GET /api/v1/incidents/active``, ``/api/v1/incidents/{incident_id}`` and
``/api/v1/incidents/by-run/{run_id}`` are most of the console's traffic. Through FastAPI each
costs ~1 ms of Python before and after the query (route matching, a dozen dependencies, pydantic
validation of every query parameter), several times what PostgreSQL spends on it. This ASGI
middleware answers them directly when the request is plainly valid, with the same use cases, the
same authentication, rate limit and error rendering, and the same bytes.

Anything it is not sure of goes to FastAPI untouched: an unknown, repeated or non-canonical
parameter (``limit=050``, ``is_synthetic=1``, an upper-case UUID), a malformed token... FastAPI
then answers exactly as it always did, 422s included. The routes stay declared in FastAPI, so the
OpenAPI contract is unchanged. Each path is first served once by FastAPI, which tells the lane
the route it resolved to; if that is not the expected endpoint (a route added in front of it),
the lane leaves that path to FastAPI for good.
"""

from __future__ import annotations

import inspect
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from guard_api.adapters.errors import ApiError
from guard_api.adapters.ports import GatewayPort, ListQuery, ReadScopePort
from guard_api.entrypoints import incident_item, incident_lists, responses
from guard_api.entrypoints.params import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, parse_filter_time
from guard_contracts.api.query import SortField, SortOrder
from guard_contracts.enums import Category, CauseType, Severity

log = logging.getLogger(__name__)

_PREFIX = "/api/v1/incidents/"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
#: The run id path parameter: 1-256 characters, no control characters (and, being one path
#: segment, no "/").
_RUN_ID = re.compile(r"[^\x00-\x1f\x7f/]{1,256}")
_DIGITS = re.compile(r"0|[1-9][0-9]{0,6}")


class _Decline(Exception):
    """Not plainly valid: let FastAPI answer."""


def _bounded(low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        if not _DIGITS.fullmatch(value) or not low <= (number := int(value)) <= high:
            raise _Decline
        return number

    return parse


def _enum(kind: type[Enum]) -> Callable[[str], Any]:
    members = {str(m.value): m for m in kind}

    def parse(value: str) -> Any:
        try:
            return members[value]
        except KeyError:
            raise _Decline from None

    return parse


def _flag(value: str) -> bool:
    if value == "true":
        return True
    if value == "false":
        return False
    raise _Decline


def _time(value: str) -> Any:
    try:
        return parse_filter_time(value)
    except ValueError:
        raise _Decline from None


#: The query of ``/active`` (entrypoints.params: ``sort_by_created``, ``paging``, ``filters``,
#: ``created_window``): name -> parser of a canonical value. ``test_api_fast_reads`` holds the
#: answers to FastAPI's.
_ACTIVE_QUERY: dict[str, Callable[[str], Any]] = {
    "sort_by": _enum(SortField),
    "sort_order": _enum(SortOrder),
    "limit": _bounded(1, MAX_LIMIT),
    "offset": _bounded(0, MAX_OFFSET),
    "severity": _enum(Severity),
    "category": _enum(Category),
    "cause_type": _enum(CauseType),
    "is_synthetic": _flag,
    "created_after": _time,
    "created_before": _time,
}


def _query(raw: bytes, allowed: dict[str, Callable[[str], Any]]) -> dict[str, Any]:
    if not raw:
        return {}
    values: dict[str, Any] = {}
    # As Starlette reads a query string (latin-1, blank values kept).
    for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        parse = allowed.get(name)
        if parse is None or name in values:
            raise _Decline
        values[name] = parse(value)
    return values


def _active_query(values: dict[str, Any]) -> ListQuery:
    return ListQuery(
        sort_by=values.get("sort_by", SortField.CREATED_AT),
        sort_order=values.get("sort_order", SortOrder.DESC),
        limit=values.get("limit", DEFAULT_LIMIT),
        offset=values.get("offset", 0),
        severity=values.get("severity"),
        category=values.get("category"),
        cause_type=values.get("cause_type"),
        is_synthetic=values.get("is_synthetic"),
        created_after=values.get("created_after"),
        created_before=values.get("created_before"),
    )


Work = Callable[[ReadScopePort], Awaitable[Response]]
#: What a lane does for the caller's tenant.
Plan = tuple[str, Callable[[str], Work]]


def _plan(path: str, query: bytes) -> Plan | None:
    """(lane, work for a tenant) for a request the lane serves, None for any other path; raises
    :class:`_Decline` for a lane's request that is not plainly valid."""
    if not path.startswith(_PREFIX):
        return None
    rest = path[len(_PREFIX) :]
    if rest == "active":
        listed = _active_query(_query(query, _ACTIVE_QUERY))

        def active(tenant: str) -> Work:
            async def work(scope: ReadScopePort) -> Response:
                return responses.raw((await scope.incidents.active(tenant, listed)).content)

            return work

        return "active", active
    if rest.startswith("by-run/"):
        run_id = rest[len("by-run/") :]
        if query or not _RUN_ID.fullmatch(run_id):
            raise _Decline

        def by_run(tenant: str) -> Work:
            async def work(scope: ReadScopePort) -> Response:
                return responses.raw((await scope.incidents.by_run(tenant, run_id)).content)

            return work

        return "by_run", by_run
    if _UUID.fullmatch(rest):
        if query:
            raise _Decline
        incident_id = uuid.UUID(rest)

        def detail(tenant: str) -> Work:
            async def work(scope: ReadScopePort) -> Response:
                document = await scope.incidents.detail_json(tenant, incident_id)
                return responses.raw(document.content)

            return work

        return "detail", detail
    return None


@dataclass
class _Lane:
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
        self._served: dict[str, int] = {"active": 0, "by_run": 0, "detail": 0}
        fastapi.state.fast_reads_served = self._served
        self._lanes = {
            "active": _Lane(incident_lists.active_incidents),
            "by_run": _Lane(incident_lists.incidents_by_run),
            "detail": _Lane(incident_item.incident_detail),
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        try:
            plan = _plan(scope["path"], scope["query_string"])
        except _Decline:
            plan = None
        # No gateway yet (an app served without its lifespan): FastAPI answers as it would.
        gateway: GatewayPort | None = getattr(self._fastapi.state, "gateway", None)
        if plan is None or gateway is None or not gateway.settings.fast_reads:
            await self.app(scope, receive, send)
            return
        name, make_work = plan
        lane = self._lanes[name]
        if lane.route is None or lane.route is False:
            await self._learn(lane, scope, receive, send)
            return
        scope["route"] = lane.route  # the access log and metrics label it as FastAPI would
        try:
            work = make_work(_caller(gateway, scope))
            response = await gateway.read(work)
        except ApiError as exc:  # rendered by the app's own handlers, as FastAPI would
            await self._error(exc, scope, receive, send)
            return
        self._served[name] += 1
        await response(scope, receive, send)

    async def _learn(self, lane: _Lane, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
        if lane.route is None:
            route = scope.get("route")
            if getattr(route, "endpoint", None) is lane.endpoint:
                lane.route = route
            else:
                lane.route = False
                log.warning(
                    "fast reads: %s resolves to another route, left to FastAPI", scope["path"]
                )

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
