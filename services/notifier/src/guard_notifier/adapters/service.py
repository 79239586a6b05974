"""The notifier service (L3): owns the pool, the DLQ producer, the HTTP client and the sender.

The edge owns the transaction: :meth:`apply_batch` commits one transaction per Kafka batch, then
publishes its dead letters; the subscriber acks only after both.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

import asyncpg
from aiokafka import ConsumerRecord
from guard_runtime.dlq import DlqPublisher

from guard_notifier.adapters.consume import BatchResult, apply_batch
from guard_notifier.adapters.dispatch import Dispatcher
from guard_notifier.config import Settings
from guard_notifier.drivers.database import open_pool, ping
from guard_notifier.drivers.http import HttpSender

log = logging.getLogger(__name__)


class NotifierService:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pool: asyncpg.Pool[Any] | None = None
        self._dlq = DlqPublisher(settings.kafka_bootstrap_servers, settings.topic_dlq,
                                 client_id=f"{settings.client_id}-dlq")  # fmt: skip
        self._sender: HttpSender | None = None
        self.dispatcher: Dispatcher | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def pool(self) -> asyncpg.Pool[Any]:
        assert self._pool is not None, "NotifierService.start() first"
        return self._pool

    async def start(self) -> None:
        s = self.settings
        self._pool = await open_pool(s.database_url, s.db_pool_size)
        await self._dlq.start()
        self._sender = HttpSender(
            s.connect_timeout_s, s.request_timeout_s, s.per_channel_concurrency
        )
        self.dispatcher = Dispatcher(self._pool, s, self._sender)
        self._task = asyncio.create_task(self.dispatcher.run(), name="notification-sender")

    async def stop(self) -> None:
        """Stop sending, then close everything; each step is bounded so a stop never hangs
        (a message cut short is still pending in the ledger and is sent after the restart)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                async with asyncio.timeout(5):
                    await self._task
        for step in (
            self.dispatcher.stop if self.dispatcher is not None else None,
            self._sender.close if self._sender is not None else None,
            self._dlq.stop,
            self._pool.close if self._pool is not None else None,
        ):
            if step is None:
                continue
            try:
                async with asyncio.timeout(10):
                    await step()
            except Exception:
                log.exception(
                    "shutdown step failed", extra={"step": getattr(step, "__qualname__", "")}
                )
        if self._pool is not None and not self._pool.is_closing():
            self._pool.terminate()

    async def ready(self) -> bool:
        return self._pool is not None and await ping(self._pool)

    async def apply_batch(self, records: Sequence[ConsumerRecord[Any, Any]]) -> BatchResult:
        result = await apply_batch(self.pool, records, self.settings)
        await self._dlq.publish(result.dead_letters)
        if result.deliveries and self.dispatcher is not None:
            self.dispatcher.nudge()
        return result
