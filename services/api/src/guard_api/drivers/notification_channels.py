"""Notification channels and deliveries (read-only: the notifier writes them), as SQLAlchemy Core
on the request's connection, and DNS resolution for the channel URL check. Every table here is
keyed (tenant_id, channel_id …) (docs/operations-scaling.md), so every statement names the tenant."""

from __future__ import annotations

import asyncio
import socket
import uuid
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from guard_storage.models.notifier import (
    NotificationChannel,
    NotificationDelivery,
    NotificationSubscription,
)

_C, _S, _D = NotificationChannel, NotificationSubscription, NotificationDelivery
# Never the secret.
_CHANNEL_COLUMNS = (
    _C.channel_id, _C.name, _C.kind, _C.url, _C.status, _C.disabled_reason, _C.created_by,
    _C.created_at, _C.updated_at, _C.failing_since, _S.change_types, _S.min_severity,
    _S.categories,
)  # fmt: skip
_DELIVERY_COLUMNS = (
    _D.delivery_id, _D.kind, _D.status, _D.change_type, _D.incident_id, _D.attempts,
    _D.last_status_code, _D.last_error, _D.created_at, _D.last_attempt_at, _D.delivered_at,
    _D.next_attempt_at,
)  # fmt: skip


class ChannelReader:
    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection

    def _channels(self, tenant_id: str) -> Any:
        return (
            select(*_CHANNEL_COLUMNS)
            .join(_S, and_(_S.tenant_id == _C.tenant_id, _S.channel_id == _C.channel_id))
            .where(_C.tenant_id == tenant_id, _C.status != "deleted")
        )

    async def channels(self, tenant_id: str) -> list[dict[str, Any]]:
        query = self._channels(tenant_id).order_by(_C.created_at.desc(), _C.channel_id)
        rows = [dict(r) for r in (await self._conn.execute(query)).mappings()]
        await self._conn.rollback()
        return rows

    async def channel(self, tenant_id: str, channel_id: uuid.UUID) -> dict[str, Any] | None:
        query = self._channels(tenant_id).where(_C.channel_id == channel_id)
        row = (await self._conn.execute(query)).mappings().first()
        # End the implicit transaction so a later poll sees the notifier's newer commits.
        await self._conn.rollback()
        return dict(row) if row else None

    async def deliveries(
        self, tenant_id: str, channel_id: uuid.UUID, status: str | None, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        query = select(*_DELIVERY_COLUMNS, func.count().over().label("total")).where(
            _D.tenant_id == tenant_id, _D.channel_id == channel_id
        )
        if status is not None:
            query = query.where(_D.status == status)
        query = query.order_by(_D.seq.desc()).limit(limit).offset(offset)
        rows = [dict(r) for r in (await self._conn.execute(query)).mappings()]
        await self._conn.rollback()
        total = int(rows[0].pop("total")) if rows else 0
        for row in rows:
            row.pop("total", None)
        return rows, total


async def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to; raises OSError when it does not resolve."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})
