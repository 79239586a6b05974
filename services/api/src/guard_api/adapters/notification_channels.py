"""Notification-channel use cases (docs/notifications.md): validate, publish a command, read.

The gateway writes no table: creating, deleting and testing a channel are commands on the
notification-command topic, applied by the notifier; a channel reads as not found until then.
The signing secret is generated here, returned once in the 202 answer and carried to the
notifier inside the create command; no read ever returns it.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from guard_api.adapters.auth import Principal
from guard_api.adapters.errors import ApiError, Conflict, NotFound, Unavailable
from guard_api.adapters.notification_channels_ports import MAX_WAIT_SECONDS
from guard_api.config import Environment, Settings
from guard_api.drivers.commands import CommandPublisher, PublishFailed
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
    UrlRefused,
    check_url_shape,
    delivery_id,
    new_secret,
    refused_address,
)
from guard_contracts.wire import encode

POLL_SECONDS = 0.1


def links(channel_id: uuid.UUID) -> ChannelLinks:
    base = f"/api/v1/notification-channels/{channel_id}"
    return ChannelLinks(self=base, deliveries=f"{base}/deliveries", test=f"{base}/test")


def _public(row: dict[str, Any]) -> ChannelPublic:
    return ChannelPublic(**row, links=links(row["channel_id"]))


class NotificationChannels:
    def __init__(self, settings: Settings) -> None:
        self._development = settings.environment is Environment.DEVELOPMENT
        self._publisher = CommandPublisher(
            settings.kafka_bootstrap_servers, settings.topic_notification_commands
        )

    async def start(self) -> None:
        await self._publisher.start()

    async def stop(self) -> None:
        await self._publisher.stop()

    async def _publish(self, tenant_id: str, payload: bytes) -> None:
        try:
            await self._publisher.publish(tenant_id, payload)
        except PublishFailed as exc:
            raise Unavailable("unavailable", f"the command was not accepted: {exc}") from exc

    async def check_url(self, url: str) -> None:
        """422 naming ``url`` unless it may be called (checked again at every delivery)."""
        try:
            host = check_url_shape(url, development=self._development)
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except (UrlRefused, ValueError) as exc:
            raise ApiError("validation_error", f"url: {exc}", status=422, field="url") from None
        try:
            addresses = await resolve(host, port)
        except OSError:
            raise ApiError("validation_error", f"url: the host {host} does not resolve",
                           status=422, field="url") from None  # fmt: skip
        for address in addresses:
            reason = refused_address(address, development=self._development)
            if reason is not None:
                raise ApiError("validation_error", f"url: {host} resolves to {reason}",
                               status=422, field="url")  # fmt: skip

    async def create(
        self, connection: Any, principal: Principal, body: ChannelCreate, wait: float
    ) -> ChannelAccepted:
        await self.check_url(body.url)
        command = NotificationChannelCreate(
            event_id=uuid.uuid4(), tenant_id=principal.tenant_id, occurred_at=datetime.now(UTC),
            channel_id=uuid.uuid4(), name=body.name, kind=body.kind, url=body.url,
            secret=new_secret(), actor_id=principal.subject,
            filters=ChannelFilters(change_types=body.change_types, min_severity=body.min_severity,
                                   categories=body.categories),
        )  # fmt: skip
        await self._publish(principal.tenant_id, encode(command))
        applied = await _wait_for(ChannelReader(connection), principal.tenant_id,
                                  command.channel_id, wait)  # fmt: skip
        return ChannelAccepted(
            channel_id=command.channel_id, command_id=command.event_id,
            status=applied["status"] if applied else "pending", secret=command.secret,
            links=links(command.channel_id),
        )  # fmt: skip

    async def list(self, connection: Any, tenant_id: str) -> ChannelList:
        rows = await ChannelReader(connection).channels(tenant_id)
        return ChannelList(items=[_public(r) for r in rows], total=len(rows))

    async def get(self, connection: Any, tenant_id: str, channel_id: uuid.UUID) -> ChannelPublic:
        row = await ChannelReader(connection).channel(tenant_id, channel_id)
        if row is None:
            raise NotFound("notification channel")
        return _public(row)

    async def delete(
        self, connection: Any, principal: Principal, channel_id: uuid.UUID
    ) -> ChannelCommandAccepted:
        await self.get(connection, principal.tenant_id, channel_id)
        command = NotificationChannelDelete(
            event_id=uuid.uuid4(), tenant_id=principal.tenant_id, occurred_at=datetime.now(UTC),
            channel_id=channel_id, actor_id=principal.subject,
        )  # fmt: skip
        await self._publish(principal.tenant_id, encode(command))
        return ChannelCommandAccepted(channel_id=channel_id, command_id=command.event_id)

    async def test(
        self, connection: Any, principal: Principal, channel_id: uuid.UUID
    ) -> ChannelCommandAccepted:
        channel = await self.get(connection, principal.tenant_id, channel_id)
        if channel.status != "active":
            raise Conflict("channel_disabled",
                           f"the channel is {channel.status}: {channel.disabled_reason}")  # fmt: skip
        command = NotificationChannelTest(
            event_id=uuid.uuid4(), tenant_id=principal.tenant_id, occurred_at=datetime.now(UTC),
            channel_id=channel_id, actor_id=principal.subject,
        )  # fmt: skip
        await self._publish(principal.tenant_id, encode(command))
        return ChannelCommandAccepted(
            channel_id=channel_id, command_id=command.event_id,
            delivery_id=delivery_id(channel_id, f"test:{command.event_id}"),
        )  # fmt: skip

    async def deliveries(
        self, connection: Any, tenant_id: str, channel_id: uuid.UUID,
        status: DeliveryStatus | None, limit: int, offset: int,
    ) -> DeliveryList:  # fmt: skip
        reader = ChannelReader(connection)
        if await reader.channel(tenant_id, channel_id) is None:
            raise NotFound("notification channel")
        rows, total = await reader.deliveries(
            channel_id, status.value if status else None, limit, offset
        )
        return DeliveryList(items=[DeliveryPublic(**r) for r in rows], total=total)


async def _wait_for(
    reader: ChannelReader, tenant_id: str, channel_id: uuid.UUID, wait: float
) -> dict[str, Any] | None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + min(max(wait, 0.0), MAX_WAIT_SECONDS)
    while True:
        row = await reader.channel(tenant_id, channel_id)
        if row is not None or loop.time() >= deadline:
            return row
        await asyncio.sleep(POLL_SECONDS)
