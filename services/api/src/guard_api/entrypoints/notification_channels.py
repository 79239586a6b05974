"""Notification-channel endpoints (docs/notifications.md): create, list, read, delete, test a
channel, and list its deliveries. Writes answer 202: the notifier applies the command.

``create_router(factory)`` is called by the composition root with the implementation
(``adapters.notification_channels.NotificationChannels``); the router's lifespan starts it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Body, FastAPI, Path, Query, Request, Response

from guard_api.adapters.notification_channels_ports import (
    MAX_WAIT_SECONDS,
    NotificationChannelsFactory,
    NotificationChannelsPort,
)
from guard_api.entrypoints import responses
from guard_api.entrypoints.deps import STRICT_QUERY, CurrentPrincipal, CurrentTenant, Scope
from guard_api.entrypoints.errors import error_responses
from guard_contracts.api.common import ErrorBody
from guard_contracts.api.notifications import (
    ChannelAccepted,
    ChannelCommandAccepted,
    ChannelCreate,
    ChannelList,
    ChannelPublic,
    DeliveryList,
)
from guard_contracts.notifications import DeliveryStatus

BASE = "/api/v1/notification-channels"
ChannelId = Annotated[uuid.UUID, Path(description="The channel's UUID (from the 202 answer).")]
Wait = Annotated[
    float,
    Query(ge=0, le=MAX_WAIT_SECONDS, description="Seconds to wait until the channel is readable."),
]


def _channels(request: Request) -> NotificationChannelsPort:
    service: NotificationChannelsPort = request.app.state.notification_channels
    return service


def create_router(factory: NotificationChannelsFactory) -> APIRouter:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = factory(app.state.gateway.settings)
        await service.start()
        app.state.notification_channels = service
        try:
            yield
        finally:
            await service.stop()

    router = APIRouter(
        tags=["notifications"],
        responses=error_responses(401, 403, 404, 422, 503),
        dependencies=[STRICT_QUERY],
        lifespan=lifespan,
    )

    @router.post(
        BASE, status_code=202, response_model=ChannelAccepted,
        summary="Create a channel (webhook or Slack); the answer shows its signing secret once",
    )  # fmt: skip
    async def create_channel(
        request: Request, principal: CurrentPrincipal, scope: Scope,
        body: Annotated[ChannelCreate, Body()], wait: Wait = 0,
    ) -> Response:  # fmt: skip
        accepted = await _channels(request).create(scope.connection, principal, body, wait)
        return responses.json(accepted, status_code=202)

    @router.get(BASE, response_model=ChannelList, summary="The tenant's channels (no secrets)")
    async def list_channels(request: Request, tenant: CurrentTenant, scope: Scope) -> Response:
        return responses.json(await _channels(request).list(scope.connection, tenant))

    @router.get(f"{BASE}/{{channel_id}}", response_model=ChannelPublic, summary="One channel")
    async def get_channel(
        request: Request, tenant: CurrentTenant, scope: Scope, channel_id: ChannelId
    ) -> Response:
        return responses.json(await _channels(request).get(scope.connection, tenant, channel_id))

    @router.delete(
        f"{BASE}/{{channel_id}}", status_code=202, response_model=ChannelCommandAccepted,
        summary="Delete a channel; its pending messages are cancelled",
    )  # fmt: skip
    async def delete_channel(
        request: Request, principal: CurrentPrincipal, scope: Scope, channel_id: ChannelId
    ) -> Response:
        accepted = await _channels(request).delete(scope.connection, principal, channel_id)
        return responses.json(accepted, status_code=202)

    @router.post(
        f"{BASE}/{{channel_id}}/test", status_code=202, response_model=ChannelCommandAccepted,
        summary="Send a test message to the channel",
        responses={409: {"model": ErrorBody, "description": "`channel_disabled`."}},
    )  # fmt: skip
    async def test_channel(
        request: Request, principal: CurrentPrincipal, scope: Scope, channel_id: ChannelId
    ) -> Response:
        accepted = await _channels(request).test(scope.connection, principal, channel_id)
        return responses.json(accepted, status_code=202)

    @router.get(
        f"{BASE}/{{channel_id}}/deliveries", response_model=DeliveryList,
        summary="The channel's messages, newest first: status, attempts, last error, times",
    )  # fmt: skip
    async def channel_deliveries(
        request: Request, tenant: CurrentTenant, scope: Scope, channel_id: ChannelId,
        status: Annotated[DeliveryStatus | None, Query(description="Only this status.")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ) -> Response:  # fmt: skip
        result = await _channels(request).deliveries(
            scope.connection, tenant, channel_id, status, limit, offset
        )
        return responses.json(result)

    return router
