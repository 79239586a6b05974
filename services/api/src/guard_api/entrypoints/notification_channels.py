"""Notification-channel endpoints (docs/notifications.md): create, list, read, delete, test a
channel, and list its deliveries. Writes answer 202: the notifier applies the command.

The module's ``router`` is listed in ``guard_api.entrypoints.ROUTERS``; the use cases are the
request scope's ``notification_channels`` (built by the gateway on the request's connection).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Response

from guard_api.adapters.notification_channels_ports import MAX_WAIT_SECONDS
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
    Query(
        ge=0,
        le=MAX_WAIT_SECONDS,
        allow_inf_nan=False,
        description="Seconds to wait until the channel is readable.",
    ),
]

router = APIRouter(
    tags=["notifications"],
    responses=error_responses(401, 403, 404, 422),
    dependencies=[STRICT_QUERY],
)


@router.post(
    BASE, status_code=202, response_model=ChannelAccepted,
    summary="Create a channel (webhook or Slack); the answer shows its signing secret once",
)  # fmt: skip
async def create_channel(
    principal: CurrentPrincipal, scope: Scope, body: Annotated[ChannelCreate, Body()],
    wait: Wait = 0,
) -> Response:  # fmt: skip
    accepted = await scope.notification_channels.create(principal, body, wait)
    return responses.json(accepted, status_code=202)


@router.get(BASE, response_model=ChannelList, summary="The tenant's channels (no secrets)")
async def list_channels(tenant: CurrentTenant, scope: Scope) -> Response:
    return responses.json(await scope.notification_channels.list(tenant))


@router.get(f"{BASE}/{{channel_id}}", response_model=ChannelPublic, summary="One channel")
async def get_channel(tenant: CurrentTenant, scope: Scope, channel_id: ChannelId) -> Response:
    return responses.json(await scope.notification_channels.get(tenant, channel_id))


@router.delete(
    f"{BASE}/{{channel_id}}", status_code=202, response_model=ChannelCommandAccepted,
    summary="Delete a channel; its pending messages are cancelled",
)  # fmt: skip
async def delete_channel(
    principal: CurrentPrincipal, scope: Scope, channel_id: ChannelId
) -> Response:
    accepted = await scope.notification_channels.delete(principal, channel_id)
    return responses.json(accepted, status_code=202)


@router.post(
    f"{BASE}/{{channel_id}}/test", status_code=202, response_model=ChannelCommandAccepted,
    summary="Send a test message to the channel",
    responses={409: {"model": ErrorBody, "description": "`channel_disabled`."}},
)  # fmt: skip
async def test_channel(
    principal: CurrentPrincipal, scope: Scope, channel_id: ChannelId
) -> Response:
    accepted = await scope.notification_channels.test(principal, channel_id)
    return responses.json(accepted, status_code=202)


@router.get(
    f"{BASE}/{{channel_id}}/deliveries", response_model=DeliveryList,
    summary="The channel's messages, newest first: status, attempts, last error, times",
)  # fmt: skip
async def channel_deliveries(
    tenant: CurrentTenant, scope: Scope, channel_id: ChannelId,
    status: Annotated[DeliveryStatus | None, Query(description="Only this status.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:  # fmt: skip
    result = await scope.notification_channels.deliveries(tenant, channel_id, status, limit, offset)
    return responses.json(result)
