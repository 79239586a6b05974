"""Dependencies routers share: the caller (``CurrentPrincipal`` / ``CurrentTenant``) and the
request scope (``Scope``). Other routers of guard_api reuse these aliases for auth."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPBearer

from guard_api.adapters.auth import Principal
from guard_api.adapters.ports import GatewayPort, RequestScopePort
from guard_api.config import Settings

# Declares the bearer scheme in OpenAPI; verification itself is ours (exact 401 codes).
_bearer_scheme = HTTPBearer(
    auto_error=False, description="JWT with aud=console, sub, exp, tenant_id"
)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def gateway(request: Request) -> GatewayPort:
    gw: GatewayPort = request.app.state.gateway
    return gw


def settings(request: Request) -> Settings:
    return gateway(request).settings


async def principal(
    request: Request,
    _scheme: Annotated[object, Depends(_bearer_scheme)] = None,
) -> Principal:
    return gateway(request).verifier.verify(request.headers.get("authorization"))


def tenant(caller: Annotated[Principal, Depends(principal)]) -> str:
    return caller.tenant_id


async def request_scope(request: Request) -> AsyncIterator[RequestScopePort]:
    async with gateway(request).scope() as scope:
        yield scope


def request_id(
    x_request_id: Annotated[str | None, Header(description="Echoed in `meta.request_id`.")] = None,
) -> str:
    if x_request_id is not None and _REQUEST_ID.fullmatch(x_request_id):
        return x_request_id
    return uuid.uuid4().hex


CurrentPrincipal = Annotated[Principal, Depends(principal)]
CurrentTenant = Annotated[str, Depends(tenant)]
Scope = Annotated[RequestScopePort, Depends(request_scope)]
CurrentSettings = Annotated[Settings, Depends(settings)]
RequestId = Annotated[str, Depends(request_id)]
