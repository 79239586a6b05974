"""Notification-channel use cases (docs/notifications.md): validate, publish a command, read.

The gateway writes no table: creating, deleting and testing a channel are commands on the
notification-command topic, applied by the notifier; a channel reads as not found until then.
The signing secret is generated here, returned once in the 202 answer and carried to the
notifier inside the create command; no read ever returns it.

:class:`NotificationChannels` lives as long as the gateway (which creates it with its command
publisher); the request scope binds it to the request's connection as :class:`ChannelRequests`.
Which URLs a channel may have is ``guard_rules.urls``, the rule the notifier applies again before
every delivery.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from guard_api.adapters.auth import Principal
from guard_api.adapters.errors import ApiError, Conflict, NotFound, Unavailable
from guard_api.adapters.notification_channels_ports import MAX_WAIT_SECONDS
from guard_api.config import Environment, Settings
from guard_api.drivers.commands import CommandPublisher, PublishFailed
from guard_api.drivers.database import AsyncConnection
from guard_api.drivers.notification_channels import ChannelReader, resolve
from guard_contracts.api.notifications import (
    ChannelAccepted,
    ChannelCommandAccepted,
    ChannelCreate,
    ChannelLinks,
    ChannelList,
    ChannelPublic,
    DeliveryList,
    DeliveryPublic,
)
from guard_contracts.notifications import (
    ChannelFilters,
    DeliveryStatus,
    NotificationChannelCreate,
    NotificationChannelDelete,
    NotificationChannelTest,
    delivery_id,
    new_secret,
)
from guard_contracts.wire import encode
from guard_rules.urls import UrlRefused, check_url_shape, refused_host

POLL_SECONDS = 0.1

#: Every address a host resolves to (raises OSError when it does not resolve).
Resolve = Callable[[str, int], Awaitable[list[str]]]


def links(channel_id: uuid.UUID) -> ChannelLinks:
    base = f"/api/v1/notification-channels/{channel_id}"
    return ChannelLinks(self=base, deliveries=f"{base}/deliveries", test=f"{base}/test")


def _public(row: dict[str, Any]) -> ChannelPublic:
    return ChannelPublic(**row, links=links(row["channel_id"]))


def _url_error(message: str) -> ApiError:
    return ApiError("validation_error", f"url: {message}", status=422, field="url")


class NotificationChannels:
    """The gateway-lived part: this environment's URL policy and the command publisher (the
    gateway's, which it starts and stops), aimed at the notification-command topic."""

    def __init__(
        self, settings: Settings, publisher: CommandPublisher, resolver: Resolve = resolve
    ) -> None:
        self._development = settings.environment is Environment.DEVELOPMENT
        self._topic = settings.topics.notification_commands
        self._retry_after = settings.retry_after_s
        self._publisher = publisher
        self._resolve = resolver

    def on(self, connection: AsyncConnection) -> ChannelRequests:
        """The use cases of one request, reading on its connection."""
        return ChannelRequests(self, ChannelReader(connection))

    async def publish(self, tenant_id: str, payload: bytes) -> None:
        try:
            await self._publisher.publish(tenant_id, payload, topic=self._topic)
        except PublishFailed as exc:
            raise Unavailable("unavailable", f"the command was not accepted: {exc}",
                              retry_after=self._retry_after) from exc  # fmt: skip

    async def check_url(self, url: str) -> None:
        """422 naming ``url`` unless it may be called (the notifier checks again at delivery)."""
        try:
            target = check_url_shape(url, development=self._development)
        except UrlRefused as exc:
            raise _url_error(str(exc)) from None
        try:
            addresses = await self._resolve(target.host, target.port)
        except OSError:
            raise _url_error(f"the host {target.host} does not resolve") from None
        reason = refused_host(target.host, addresses, development=self._development)
        if reason is not None:
            raise _url_error(reason)


class ChannelRequests:
    """One request's notification-channel use cases (``NotificationChannelsPort``)."""

    def __init__(self, channels: NotificationChannels, reader: ChannelReader) -> None:
        self._channels = channels
        self._reader = reader

    async def create(
        self, principal: Principal, body: ChannelCreate, wait: float
    ) -> ChannelAccepted:
        await self._channels.check_url(body.url)
        command = NotificationChannelCreate(
            event_id=uuid.uuid4(), tenant_id=principal.tenant_id, occurred_at=datetime.now(UTC),
            channel_id=uuid.uuid4(), name=body.name, kind=body.kind, url=body.url,
            secret=new_secret(), actor_id=principal.subject,
            filters=ChannelFilters(change_types=body.change_types, min_severity=body.min_severity,
                                   categories=body.categories),
        )  # fmt: skip
        await self._channels.publish(principal.tenant_id, encode(command))
        applied = await self._wait_for(principal.tenant_id, command.channel_id, wait)
        return ChannelAccepted(
            channel_id=command.channel_id, command_id=command.event_id,
            status=applied["status"] if applied else "pending", secret=command.secret,
            links=links(command.channel_id),
        )  # fmt: skip

    async def list(self, tenant_id: str) -> ChannelList:
        rows = await self._reader.channels(tenant_id)
        return ChannelList(items=[_public(r) for r in rows], total=len(rows))

    async def get(self, tenant_id: str, channel_id: uuid.UUID) -> ChannelPublic:
        row = await self._reader.channel(tenant_id, channel_id)
        if row is None:
            raise NotFound("notification channel")
        return _public(row)

    async def delete(self, principal: Principal, channel_id: uuid.UUID) -> ChannelCommandAccepted:
        await self.get(principal.tenant_id, channel_id)
        command = NotificationChannelDelete(
            event_id=uuid.uuid4(), tenant_id=principal.tenant_id, occurred_at=datetime.now(UTC),
            channel_id=channel_id, actor_id=principal.subject,
        )  # fmt: skip
        await self._channels.publish(principal.tenant_id, encode(command))
        return ChannelCommandAccepted(channel_id=channel_id, command_id=command.event_id)

    async def test(self, principal: Principal, channel_id: uuid.UUID) -> ChannelCommandAccepted:
        channel = await self.get(principal.tenant_id, channel_id)
        if channel.status != "active":
            raise Conflict("channel_disabled",
                           f"the channel is {channel.status}: {channel.disabled_reason}")  # fmt: skip
        command = NotificationChannelTest(
            event_id=uuid.uuid4(), tenant_id=principal.tenant_id, occurred_at=datetime.now(UTC),
            channel_id=channel_id, actor_id=principal.subject,
        )  # fmt: skip
        await self._channels.publish(principal.tenant_id, encode(command))
        return ChannelCommandAccepted(
            channel_id=channel_id, command_id=command.event_id,
            delivery_id=delivery_id(channel_id, f"test:{command.event_id}"),
        )  # fmt: skip

    async def deliveries(
        self, tenant_id: str, channel_id: uuid.UUID, status: DeliveryStatus | None, limit: int,
        offset: int,
    ) -> DeliveryList:  # fmt: skip
        if await self._reader.channel(tenant_id, channel_id) is None:
            raise NotFound("notification channel")
        rows, total = await self._reader.deliveries(
            tenant_id, channel_id, status.value if status else None, limit, offset
        )
        return DeliveryList(items=[DeliveryPublic(**r) for r in rows], total=total)

    async def _wait_for(
        self, tenant_id: str, channel_id: uuid.UUID, wait: float
    ) -> dict[str, Any] | None:
        """The channel once the notifier has applied the create, polling for up to ``wait`` s
        on the request's connection."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(max(wait, 0.0), MAX_WAIT_SECONDS)
        while True:
            row = await self._reader.channel(tenant_id, channel_id)
            if row is not None or loop.time() >= deadline:
                return row
            await asyncio.sleep(POLL_SECONDS)
