"""What the fast lane serves (docs/operations-gateway.md#fast-reads): its paths, the query each
accepts and the use case each calls. ``fast_reads`` is the middleware that runs them.

==================  ==========================================  ===================================
lane                path                                        FastAPI endpoint it stands in for
==================  ==========================================  ===================================
active              /api/v1/incidents/active                    incident_lists.active_incidents
by_run              /api/v1/incidents/by-run/{run_id}           incident_lists.incidents_by_run
detail              /api/v1/incidents/{incident_id}             incident_item.incident_detail
patterns            /api/v1/incidents/patterns                  analytics_routes (same path)
recurring           /api/v1/incidents/recurring                 analytics_routes
cost_impact         /api/v1/incidents/cost-impact               analytics_routes
metrics             /api/v1/incidents/metrics                   analytics_routes
trend               /api/v1/incidents/historical/trend          analytics_routes
distribution        /api/v1/incidents/historical/distribution   analytics_routes
cost_trend          /api/v1/incidents/historical/cost-trend     analytics_routes
costs_summary       /guard/costs/summary                        costs_routes
costs_explained     /guard/costs/explained                      costs_routes
costs_incidents     /guard/costs/incidents                      costs_routes
==================  ==========================================  ===================================

A parameter is taken only in its plain form and inside the bounds its route declares (the same
constants: ``params.IntRange``, ``analytics_routes.GRANULARITIES``, ``costs_routes.Period``,
``rfc3339.parse_now``...); anything else raises :class:`Decline` and FastAPI answers, 422s and
400s included. The three incident reads' and the cost explanation's use cases return JSON bytes
already; the others return a dict that the route's ``response_model`` validates and serialises,
as FastAPI does.
``test_api_fast_reads`` and ``test_api_fast_analytics`` hold every lane to FastAPI's bytes.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, get_args
from urllib.parse import parse_qsl

from fastapi import APIRouter
from fastapi.routing import APIRoute

from guard_api.adapters.analytics_ports import check_tenant
from guard_api.adapters.ports import ListQuery, ReadScopePort
from guard_api.adapters.rfc3339 import parse_filter_time, parse_now
from guard_api.entrypoints import (
    analytics_routes,
    costs_routes,
    incident_item,
    incident_lists,
)
from guard_api.entrypoints.analytics_routes import (
    BASELINE_DAYS,
    DEFAULT_GRANULARITY,
    GRANULARITIES,
    HISTORY_WINDOW_DAYS,
    METRICS_WINDOW_DAYS,
    PATTERNS_LIMIT,
    PATTERNS_WINDOW_HOURS,
    RECURRENCE_THRESHOLD,
    TOP_LIMIT,
)
from guard_api.entrypoints.costs_routes import DEFAULT_PERIOD, INCIDENTS_LIMIT, Period
from guard_api.entrypoints.params import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, IntRange
from guard_contracts.api.query import SortField, SortOrder
from guard_contracts.enums import Category, CauseType, Severity


class Decline(Exception):
    """Not plainly valid: let FastAPI answer."""


# -- Parameters: a parser of the plain form and the route's default ------------------------------


@dataclass(frozen=True, slots=True)
class Param:
    parse: Callable[[str], Any]
    default: Any = None


_DIGITS = re.compile(r"0|[1-9][0-9]{0,6}")


def _int(bounds: IntRange) -> Param:
    low, high = bounds.low, bounds.high

    def parse(value: str) -> int:
        if not _DIGITS.fullmatch(value) or not low <= (number := int(value)) <= high:
            raise Decline
        return number

    return Param(parse, bounds.default)


def _one_of(members: dict[str, Any], default: Any = None) -> Param:
    def parse(value: str) -> Any:
        try:
            return members[value]
        except KeyError:
            raise Decline from None

    return Param(parse, default)


def _enum(kind: type[Enum], default: Any = None) -> Param:
    return _one_of({str(m.value): m for m in kind}, default)


def _words(words: tuple[str, ...], default: str) -> Param:
    return _one_of({w: w for w in words}, default)


def _flag(default: bool | None) -> Param:
    return _one_of({"true": True, "false": False}, default)


def _time(parse_time: Callable[[object], Any]) -> Param:
    def parse(value: str) -> Any:
        try:
            return parse_time(value)
        except ValueError:
            raise Decline from None

    return Param(parse)


def _text(value: str) -> str:
    return value


_NOW = _time(parse_now)


def parse_query(raw: bytes, params: dict[str, Param]) -> dict[str, Any]:
    """Every parameter of ``params``, given or defaulted; :class:`Decline` on an unknown,
    repeated or not plainly valid one."""
    values: dict[str, Any] = {}
    if raw:
        # As Starlette reads a query string (latin-1, blank values kept).
        for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
            param = params.get(name)
            if param is None or name in values:
                raise Decline
            values[name] = param.parse(value)
    for name, param in params.items():
        values.setdefault(name, param.default)
    return values


# -- Lanes ---------------------------------------------------------------------------------------

#: (read scope, the caller's tenant, the parsed parameters) -> the use case's answer.
Call = Callable[[ReadScopePort, str, dict[str, Any]], Awaitable[Any]]


@dataclass(frozen=True)
class Lane:
    name: str  # the ``lane`` label of guard_api_fast_reads_served
    router: APIRouter  # where its route is declared
    path: str  # the route's path there
    call: Call
    params: dict[str, Param] = field(default_factory=dict)

    def endpoint(self) -> Callable[..., Any]:
        """The FastAPI endpoint this lane stands in for."""
        for route in self.router.routes:
            if (
                isinstance(route, APIRoute)
                and route.path == self.path
                and "GET" in (route.methods or ())
            ):
                return route.endpoint
        raise LookupError(self.path)  # pragma: no cover - a lane names a declared route


async def _active(read: ReadScopePort, tenant: str, q: dict[str, Any]) -> Any:
    return await read.incidents.active(tenant, ListQuery(**q))


async def _by_run(read: ReadScopePort, tenant: str, q: dict[str, Any]) -> Any:
    return await read.incidents.by_run(tenant, q["run_id"])


async def _detail(read: ReadScopePort, tenant: str, q: dict[str, Any]) -> Any:
    return await read.incidents.detail_json(tenant, q["incident_id"])


async def _patterns(read: ReadScopePort, tenant: str, q: dict[str, Any]) -> Any:
    return await read.analytics.patterns(tenant, q["window_hours"], q["limit"], q["now"])


async def _recurring(read: ReadScopePort, tenant: str, q: dict[str, Any]) -> Any:
    return await read.analytics.recurring(
        tenant, q["baseline_days"], q["recurrence_threshold"], q["limit"], q["now"]
    )


async def _cost_impact(read: ReadScopePort, tenant: str, q: dict[str, Any]) -> Any:
    return await read.analytics.cost_impact(tenant, q["baseline_days"], q["limit"], q["now"])


async def _metrics(read: ReadScopePort, tenant: str, q: dict[str, Any]) -> Any:
    return await read.analytics.metrics(tenant, q["window_days"], q["now"])


def _historical(kind: str) -> Call:
    async def call(read: ReadScopePort, tenant: str, q: dict[str, Any]) -> Any:
        return await read.analytics.historical(
            kind, tenant, q["window_days"], q["granularity"], q["now"]
        )

    return call


# The cost routes check ``tenant_id`` inside the endpoint, once the read scope is open; so do
# these.
async def _costs_summary(read: ReadScopePort, tenant: str, q: dict[str, Any]) -> Any:
    check_tenant(tenant, q["tenant_id"])
    return await read.costs.summary(tenant, q["now"])


async def _costs_explained(read: ReadScopePort, tenant: str, q: dict[str, Any]) -> Any:
    check_tenant(tenant, q["tenant_id"])
    return await read.costs.explained(tenant, q["period"], q["now"])


async def _costs_incidents(read: ReadScopePort, tenant: str, q: dict[str, Any]) -> Any:
    check_tenant(tenant, q["tenant_id"])
    return await read.costs.incidents(tenant, q["include_resolved"], q["limit"], q["now"])


_INCIDENTS = "/api/v1/incidents"
_HISTORY = {
    "window_days": _int(HISTORY_WINDOW_DAYS),
    "granularity": _words(GRANULARITIES, DEFAULT_GRANULARITY),
    "now": _NOW,
}
_TENANT_ID = Param(_text)  # any text: the endpoint compares it with the token's tenant

#: The lanes of fixed paths, by path.
FIXED: dict[str, Lane] = {
    lane.path: lane
    for lane in [
        Lane(
            "active",
            incident_lists.router,
            f"{_INCIDENTS}/active",
            _active,
            # entrypoints.params: sort_by_created, paging, filters, created_window
            {
                "sort_by": _enum(SortField, SortField.CREATED_AT),
                "sort_order": _enum(SortOrder, SortOrder.DESC),
                "limit": _int(IntRange(1, MAX_LIMIT, DEFAULT_LIMIT)),
                "offset": _int(IntRange(0, MAX_OFFSET, 0)),
                "severity": _enum(Severity),
                "category": _enum(Category),
                "cause_type": _enum(CauseType),
                "is_synthetic": _flag(None),
                "created_after": _time(parse_filter_time),
                "created_before": _time(parse_filter_time),
            },
        ),
        Lane(
            "patterns",
            analytics_routes.router,
            f"{_INCIDENTS}/patterns",
            _patterns,
            {
                "window_hours": _int(PATTERNS_WINDOW_HOURS),
                "limit": _int(PATTERNS_LIMIT),
                "now": _NOW,
            },
        ),
        Lane(
            "recurring",
            analytics_routes.router,
            f"{_INCIDENTS}/recurring",
            _recurring,
            {
                "baseline_days": _int(BASELINE_DAYS),
                "recurrence_threshold": _int(RECURRENCE_THRESHOLD),
                "limit": _int(TOP_LIMIT),
                "now": _NOW,
            },
        ),
        Lane(
            "cost_impact",
            analytics_routes.router,
            f"{_INCIDENTS}/cost-impact",
            _cost_impact,
            {"baseline_days": _int(BASELINE_DAYS), "limit": _int(TOP_LIMIT), "now": _NOW},
        ),
        Lane(
            "metrics",
            analytics_routes.router,
            f"{_INCIDENTS}/metrics",
            _metrics,
            {"window_days": _int(METRICS_WINDOW_DAYS), "now": _NOW},
        ),
        Lane(
            "trend",
            analytics_routes.router,
            f"{_INCIDENTS}/historical/trend",
            _historical("trend"),
            _HISTORY,
        ),
        Lane(
            "distribution",
            analytics_routes.router,
            f"{_INCIDENTS}/historical/distribution",
            _historical("distribution"),
            _HISTORY,
        ),
        Lane(
            "cost_trend",
            analytics_routes.router,
            f"{_INCIDENTS}/historical/cost-trend",
            _historical("cost-trend"),
            _HISTORY,
        ),
        Lane(
            "costs_summary",
            costs_routes.router,
            "/guard/costs/summary",
            _costs_summary,
            {"tenant_id": _TENANT_ID, "now": _NOW},
        ),
        Lane(
            "costs_explained",
            costs_routes.router,
            "/guard/costs/explained",
            _costs_explained,
            {
                "tenant_id": _TENANT_ID,
                "period": _words(get_args(Period), DEFAULT_PERIOD),
                "now": _NOW,
            },
        ),
        Lane(
            "costs_incidents",
            costs_routes.router,
            "/guard/costs/incidents",
            _costs_incidents,
            {
                "tenant_id": _TENANT_ID,
                "include_resolved": _flag(False),
                "limit": _int(INCIDENTS_LIMIT),
                "now": _NOW,
            },
        ),
    ]
}

BY_RUN = Lane("by_run", incident_lists.router, f"{_INCIDENTS}/by-run/{{run_id}}", _by_run)
DETAIL = Lane("detail", incident_item.router, f"{_INCIDENTS}/{{incident_id}}", _detail)
#: Every lane, by name.
LANES: dict[str, Lane] = {lane.name: lane for lane in [*FIXED.values(), BY_RUN, DETAIL]}

_PREFIX = f"{_INCIDENTS}/"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
#: The run id path parameter: 1-256 characters, no control characters (and, being one path
#: segment, no "/").
_RUN_ID = re.compile(r"[^\x00-\x1f\x7f/]{1,256}")


def plan(path: str, query: bytes) -> tuple[Lane, dict[str, Any]] | None:
    """The lane of ``path`` and the request's parameters, None for a path no lane serves;
    raises :class:`Decline` for a lane's request that is not plainly valid."""
    fixed = FIXED.get(path)
    if fixed is not None:
        return fixed, parse_query(query, fixed.params)
    if not path.startswith(_PREFIX):
        return None
    rest = path[len(_PREFIX) :]
    if rest.startswith("by-run/"):
        run_id = rest[len("by-run/") :]
        if query or not _RUN_ID.fullmatch(run_id):
            raise Decline
        return BY_RUN, {"run_id": run_id}
    if _UUID.fullmatch(rest):
        if query:
            raise Decline
        return DETAIL, {"incident_id": uuid.UUID(rest)}
    return None
