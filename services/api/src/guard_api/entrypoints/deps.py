"""Dependencies routers share: the caller (``CurrentPrincipal`` / ``CurrentTenant``) and the
request scope (``Scope``). Other routers of guard_api reuse these aliases for auth."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from fastapi import Depends, Header, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer

from guard_api.adapters.auth import Principal
from guard_api.adapters.errors import ApiError
from guard_api.adapters.ports import (
    GatewayPort,
    IncidentScopePort,
    ReadScopePort,
    RequestScopePort,
)
from guard_api.config import Settings

# Declares the bearer scheme in OpenAPI; verification itself is ours (exact 401 codes).
_bearer_scheme = HTTPBearer(
    auto_error=False, description="JWT with aud=console, sub, exp, tenant_id"
)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


#: route -> (its query parameters, those of them that take a single value)
_known_query: dict[int, tuple[frozenset[str], frozenset[str]]] = {}


def _takes_many(annotation: Any) -> bool:
    """A list-like annotation (``list[Severity] | None``): the parameter may be repeated."""
    if get_origin(annotation) in (Union, UnionType):
        return any(_takes_many(arg) for arg in get_args(annotation))
    origin = get_origin(annotation) or annotation
    return isinstance(origin, type) and issubclass(origin, (list, tuple, set, frozenset))


def _query_params(dependant: Dependant) -> dict[str, bool]:
    """Every query parameter of the route and its dependencies -> whether it takes many."""
    params = {p.alias: _takes_many(p.field_info.annotation) for p in dependant.query_params}
    for sub in dependant.dependencies:
        params |= _query_params(sub)
    return params


async def reject_unknown_query(request: Request) -> None:
    """A misspelt filter is refused (422 ``unknown_parameter``) instead of silently ignored."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    cached = _known_query.get(id(route))
    if cached is None:
        params = _query_params(route.dependant)
        cached = _known_query[id(route)] = (
            frozenset(params),
            frozenset(name for name, many in params.items() if not many),
        )
    known, single = cached
    query = request.query_params
    for name in query:
        if name not in known:
            raise ApiError(
                "unknown_parameter", f"{name}: unknown query parameter", status=422, field=name
            )
    if len(query.multi_items()) != len(query):
        # A repeated single-value parameter (``severity=low&severity=high``) is refused, not
        # narrowed to its last value (docs/api/README.md).
        for name in query:
            values = query.getlist(name)
            if name in single and len(values) > 1:
                raise ApiError(
                    "validation_error",
                    f"{name}: takes one value, given {len(values)} times",
                    status=422, field=name,
                )  # fmt: skip


def gateway(request: Request) -> GatewayPort:
    gw: GatewayPort = request.app.state.gateway
    return gw


async def settings(request: Request) -> Settings:
    return gateway(request).settings


async def principal(
    request: Request,
    _scheme: Annotated[object, Depends(_bearer_scheme)] = None,
) -> Principal:
    """The verified caller, counted against its tenant's rate limit (reads: GET, commands:
    POST); the tenant also goes into the access log."""
    gw = gateway(request)
    caller = gw.verifier.verify(request.headers.get("authorization"))
    request.state.tenant_id = caller.tenant_id
    gw.admit(caller.tenant_id, command=request.method != "GET")
    return caller


async def tenant(caller: Annotated[Principal, Depends(principal)]) -> str:
    return caller.tenant_id


async def request_scope(request: Request) -> AsyncIterator[RequestScopePort]:
    async with gateway(request).scope() as scope:
        yield scope


async def incident_scope(request: Request) -> AsyncIterator[IncidentScopePort]:
    async with gateway(request).incident_scope() as scope:
        yield scope


async def read_scope(request: Request) -> AsyncIterator[ReadScopePort]:
    """Reads that may lag the primary: the read replica when configured and reachable."""
    async with gateway(request).read_scope() as scope:
        yield scope


async def request_id(
    request: Request,
    x_request_id: Annotated[
        str | None, Header(description="Echoed in `meta.request_id` and the response header.")
    ] = None,
) -> str:
    """The id the request middleware gave this request (the caller's ``X-Request-ID`` if sane)."""
    given = getattr(request.state, "request_id", None)
    if isinstance(given, str):
        return given
    if x_request_id is not None and _REQUEST_ID.fullmatch(x_request_id):
        return x_request_id
    return uuid.uuid4().hex


CurrentPrincipal = Annotated[Principal, Depends(principal)]
CurrentTenant = Annotated[str, Depends(tenant)]
Scope = Annotated[RequestScopePort, Depends(request_scope)]
IncidentScope = Annotated[IncidentScopePort, Depends(incident_scope)]
ReadScope = Annotated[ReadScopePort, Depends(read_scope)]
CurrentSettings = Annotated[Settings, Depends(settings)]
RequestId = Annotated[str, Depends(request_id)]
#: Router-level guard: ``APIRouter(dependencies=[STRICT_QUERY])``.
STRICT_QUERY = Depends(reject_unknown_query)
