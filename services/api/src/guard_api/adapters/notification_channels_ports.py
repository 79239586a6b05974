"""What the notification-channel routes see of their use cases (docs/notifications.md).

The routes reach them as ``scope.notification_channels`` (``adapters.ports.RequestScopePort``);
the request scope of ``adapters.gateway`` builds the implementation,
``adapters.notification_channels.ChannelRequests``, on the request's connection.
"""

from __future__ import annotations

import uuid
from typing import Protocol

from guard_api.adapters.auth import Principal
from guard_contracts.api.notifications import (
    ChannelAccepted,
    ChannelCommandAccepted,
    ChannelCreate,
    ChannelList,
    ChannelPublic,
    DeliveryList,
)
from guard_contracts.notifications import DeliveryStatus

#: Longest ``?wait=`` a caller may ask for, in seconds.
MAX_WAIT_SECONDS = 30


class NotificationChannelsPort(Protocol):
    async def create(
        self, principal: Principal, body: ChannelCreate, wait: float
    ) -> ChannelAccepted: ...
    async def list(self, tenant_id: str) -> ChannelList: ...
    async def get(self, tenant_id: str, channel_id: uuid.UUID) -> ChannelPublic: ...
    async def delete(
        self, principal: Principal, channel_id: uuid.UUID
    ) -> ChannelCommandAccepted: ...
    async def test(self, principal: Principal, channel_id: uuid.UUID) -> ChannelCommandAccepted: ...
    async def deliveries(
        self, tenant_id: str, channel_id: uuid.UUID, status: DeliveryStatus | None, limit: int,
        offset: int,
    ) -> DeliveryList: ...  # fmt: skip
