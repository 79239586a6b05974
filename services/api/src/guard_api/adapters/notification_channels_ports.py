"""What the notification-channel routes see of their use cases (docs/notifications.md).

The routes import only this module; ``adapters.notification_channels.NotificationChannels``
implements it and is handed to the router by the composition root (``main``).
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from guard_api.adapters.auth import Principal
from guard_api.config import Settings
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
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def create(
        self, connection: Any, principal: Principal, body: ChannelCreate, wait: float
    ) -> ChannelAccepted: ...
    async def list(self, connection: Any, tenant_id: str) -> ChannelList: ...
    async def get(
        self, connection: Any, tenant_id: str, channel_id: uuid.UUID
    ) -> ChannelPublic: ...
    async def delete(
        self, connection: Any, principal: Principal, channel_id: uuid.UUID
    ) -> ChannelCommandAccepted: ...
    async def test(
        self, connection: Any, principal: Principal, channel_id: uuid.UUID
    ) -> ChannelCommandAccepted: ...
    async def deliveries(
        self, connection: Any, tenant_id: str, channel_id: uuid.UUID,
        status: DeliveryStatus | None, limit: int, offset: int,
    ) -> DeliveryList: ...  # fmt: skip


class NotificationChannelsFactory(Protocol):
    def __call__(self, settings: Settings) -> NotificationChannelsPort: ...
