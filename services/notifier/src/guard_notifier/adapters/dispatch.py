"""Send what the ledger says is due (L3): signed, retried, in order per incident, bounded.

One process sends at a time (a PostgreSQL advisory lock elects it); any number may consume.
Each message gets its own task; an attempt holds a slot of its channel (``per_channel_concurrency``)
and a global slot (``max_in_flight``), and releases both while it backs off, so a slow or dead
endpoint only ever delays its own channel. Backoff (exponential with jitter, or the receiver's
Retry-After) is done by stamina; each attempt's outcome and the next attempt's time are written to
the ledger first, so a restart resumes where the last process stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import orjson
import stamina
from standardwebhooks.webhooks import Webhook

from guard_contracts.notifications import ChannelKind
from guard_notifier.adapters.metrics import (
    CHANNELS_DISABLED,
    DELIVERIES,
    DISPATCH_SECONDS,
    IN_FLIGHT,
    LATENCY,
    QUEUE_DEPTH,
    REQUEST_SECONDS,
)
from guard_notifier.config import Settings
from guard_notifier.drivers import channels as channel_store
from guard_notifier.drivers import ledger
from guard_notifier.drivers.database import connect
from guard_notifier.drivers.http import HttpSender, resolve
from guard_notifier.drivers.sealing import SecretUnreadable, secret_box
from guard_notifier.engines.messages import digest_message
from guard_notifier.engines.outcome import Verdict, judge
from guard_rules.urls import UrlRefused, check_url_shape, refused_host

log = logging.getLogger(__name__)
_LEADER_LOCK = 0x6775617264_07  # "guard" 07: the notifier's sender
_DIGEST_SAMPLE = 10


class RetryLater(Exception):
    """An attempt failed in a way worth retrying; ``retry_after`` is the receiver's wish."""

    def __init__(self, error: str, retry_after: float | None) -> None:
        super().__init__(error)
        self.retry_after = retry_after


def _backoff(exc: Exception) -> bool | float:
    if isinstance(exc, RetryLater):
        return exc.retry_after if exc.retry_after is not None else True
    return False


class Dispatcher:
    def __init__(self, pool: asyncpg.Pool[Any], settings: Settings, sender: HttpSender) -> None:
        self.pool = pool
        self.settings = settings
        self.sender = sender
        self._nudge = asyncio.Event()
        self._tasks: dict[uuid.UUID, asyncio.Task[None]] = {}
        self._per_channel: dict[uuid.UUID, int] = defaultdict(int)
        self._channel_slots: dict[uuid.UUID, asyncio.Semaphore] = {}
        self._slots = asyncio.Semaphore(settings.max_in_flight)
        self._secrets = secret_box(tuple(settings.secret_key_list()))
        self._leader: asyncpg.Connection[Any] | None = None
        self._depth_at = 0.0
        #: channel id -> (read at, row): a channel is read at most once a second per process.
        self._channels: dict[uuid.UUID, tuple[float, dict[str, Any] | None]] = {}

    def nudge(self) -> None:
        self._nudge.set()

    @property
    def is_leader(self) -> bool:
        return self._leader is not None and not self._leader.is_closed()

    async def run(self) -> None:
        while True:
            try:
                await self._lead()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sender stopped; it will take over again")
            await self._step_down()
            await asyncio.sleep(1.0)

    async def stop(self) -> None:
        await self._step_down()

    async def _lead(self) -> None:
        self._leader = await connect(self.settings.database_url)
        while not await self._leader.fetchval("SELECT pg_try_advisory_lock($1)", _LEADER_LOCK):  # noqa: ASYNC110 (a lock in PostgreSQL, polled)
            await asyncio.sleep(1.0)
        log.info("this process sends notifications")
        await self.reseal_secrets()
        pinged = time.monotonic()
        while True:
            self._nudge.clear()
            await self.dispatch_once()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._nudge.wait(), self.settings.poll_interval_s)
            # Let a burst of finished deliveries and new rows share one look at the ledger.
            await asyncio.sleep(0.02)
            if time.monotonic() - pinged > 1.0:
                await self._leader.fetchval("SELECT 1")  # the lock lives as long as this connection
                pinged = time.monotonic()

    async def reseal_secrets(self) -> int:
        """Seal with the newest key every secret that is not (plain ones written before sealing
        existed, or ones sealed with an older key); returns how many were re-sealed. Only the
        sender does it, so two notifiers never race on it."""
        resealed = unreadable = 0
        for tenant, cid, stored in await channel_store.stored_secrets(self.pool):
            try:
                sealed = self._secrets.resealed(stored)
            except SecretUnreadable:
                unreadable += 1
                continue
            if sealed is not None and await channel_store.replace_secret(
                self.pool, tenant, cid, stored, sealed
            ):
                resealed += 1
        if resealed or unreadable:
            log.info("channel secrets re-sealed",
                     extra={"resealed": resealed, "unreadable": unreadable})  # fmt: skip
        if unreadable:
            log.error(
                "some channel secrets cannot be opened with GUARD_NOTIFIER_SECRET_KEYS; their "
                "deliveries fail until the key that sealed them is configured again",
                extra={"channels": unreadable},
            )
        return resealed

    async def _step_down(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._leader is not None:
            with contextlib.suppress(Exception):
                await self._leader.close()
            self._leader = None

    async def dispatch_once(self) -> int:
        """Start a task for every due message not already in hand; returns how many started."""
        s = self.settings
        now = s.clock()
        room = max(0, s.max_in_flight * 4 - len(self._tasks))
        # A channel keeps at most twice its concurrency in hand (sending or queued for a slot);
        # a full channel's rows are not even read, so a backlog costs nothing per round.
        cap = s.per_channel_concurrency * 2
        full = [cid for cid, n in self._per_channel.items() if n >= cap]
        with DISPATCH_SECONDS.time():
            rows = await ledger.due(self.pool, now, list(self._tasks), full, cap,
                                    room) if room else []  # fmt: skip
        for row in rows:
            if self._per_channel[row["channel_id"]] >= cap:
                continue
            self._per_channel[row["channel_id"]] += 1
            did = row["delivery_id"]
            self._tasks[did] = asyncio.create_task(self._deliver(row), name=f"deliver-{did}")
        IN_FLIGHT.set(len(self._tasks))
        if time.monotonic() - self._depth_at > 1.0:
            self._depth_at = time.monotonic()
            QUEUE_DEPTH.set(await ledger.pending_count(self.pool))
        return len(rows)

    def _slots_of(self, channel_id: uuid.UUID) -> asyncio.Semaphore:
        slots = self._channel_slots.get(channel_id)
        if slots is None:
            slots = self._channel_slots[channel_id] = asyncio.Semaphore(
                self.settings.per_channel_concurrency
            )
        return slots

    async def _deliver(self, row: dict[str, Any]) -> None:
        did, cid = row["delivery_id"], row["channel_id"]
        try:
            await self._send(row)
        except asyncio.CancelledError:
            raise
        except Exception:
            # The row stays pending and is picked up again; nothing is lost.
            log.exception("delivery failed unexpectedly", extra={"delivery_id": str(did)})
            await asyncio.sleep(self.settings.poll_interval_s)
        finally:
            self._tasks.pop(did, None)
            self._per_channel[cid] -= 1
            if self._per_channel[cid] <= 0:
                self._per_channel.pop(cid, None)
            IN_FLIGHT.set(len(self._tasks))
            self.nudge()  # the incident's next change may be due now

    async def _send(self, row: dict[str, Any]) -> None:
        s = self.settings
        remaining = s.max_attempts - row["attempts"]
        if remaining <= 0:
            await ledger.close(self.pool, row["tenant_id"], row["delivery_id"], "failed",
                               "no attempts left", s.clock())  # fmt: skip
            return
        payload = row["payload"]
        try:
            async for attempt in stamina.retry_context(
                on=_backoff,
                attempts=remaining,
                timeout=None,
                wait_initial=s.retry_initial_s,
                wait_max=s.retry_max_s,
                wait_jitter=s.retry_jitter_s,
            ):
                with attempt:
                    async with self._slots_of(row["channel_id"]), self._slots:
                        payload = await self._attempt(
                            row, payload, last=attempt.num >= remaining,
                            next_wait=attempt.next_wait,
                        )  # fmt: skip
        except RetryLater as exc:  # the last attempt could not even be made (e.g. DNS)
            await ledger.close(
                self.pool, row["tenant_id"], row["delivery_id"], "failed", str(exc), s.clock()
            )
            DELIVERIES.labels("failed").inc()

    async def _attempt(
        self, row: dict[str, Any], payload: Any, *, last: bool, next_wait: float
    ) -> Any:
        """One HTTP attempt; raises :class:`RetryLater` when another one should follow."""
        s = self.settings
        tenant, did, cid = row["tenant_id"], row["delivery_id"], row["channel_id"]
        now = s.clock()
        channel = await self._channel(tenant, cid)
        if channel is None or channel["status"] != "active":
            reason = f"channel {channel['status'] if channel else 'deleted'}"
            await ledger.close(self.pool, tenant, did, "cancelled", reason, now)
            await self.sender.forget(cid)
            DELIVERIES.labels("cancelled").inc()
            return payload
        if payload is None:  # a digest: its window has closed, fix its body now
            payload = await self._digest_body(row, channel, now)
        refusal = await self._refusal(channel["url"])
        if refusal is not None:
            await ledger.close(self.pool, tenant, did, "failed", f"url refused: {refusal}", now)
            DELIVERIES.labels("failed").inc()
            return payload
        try:
            secret = self._secrets.open(channel["secret"])
        except SecretUnreadable as exc:
            await ledger.close(self.pool, tenant, did, "failed", str(exc), now)
            DELIVERIES.labels("failed").inc()
            return payload
        body = orjson.dumps(payload)
        msg_id = str(did)
        headers = {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(secret).sign(msg_id, now, body.decode()),
        }
        answer = await self.sender.post(cid, channel["url"], body, headers)
        REQUEST_SECONDS.observe(answer.seconds)
        done = s.clock()
        verdict = judge(answer.status, answer.retry_after, done, answer.error)
        if verdict.verdict is Verdict.DELIVERED:
            await ledger.record_attempt(self.pool, tenant, did, status="delivered",
                                        status_code=answer.status, error=None,
                                        next_attempt_at=None, now=done)  # fmt: skip
            if channel["failing_since"] is not None:
                await channel_store.mark_healthy(self.pool, tenant, cid)
                self._channels.pop(cid, None)
            DELIVERIES.labels("delivered").inc()
            if row["change_occurred_at"] is not None:
                LATENCY.observe((done - row["change_occurred_at"]).total_seconds())
            return payload
        failing_since = await channel_store.mark_failing(self.pool, tenant, cid, done)
        channel["failing_since"] = failing_since
        if done - failing_since >= timedelta(seconds=s.disable_after_s):
            await self._disable(row, answer.status, verdict.error or "", failing_since, done)
            return payload
        if verdict.verdict is Verdict.FINAL or last:
            await ledger.record_attempt(self.pool, tenant, did, status="failed",
                                        status_code=answer.status, error=verdict.error,
                                        next_attempt_at=None, now=done)  # fmt: skip
            DELIVERIES.labels("failed").inc()
            log.warning("delivery failed", extra={"delivery_id": msg_id, "channel_id": str(cid),
                                                  "error": verdict.error})  # fmt: skip
            return payload
        wait = next_wait
        if verdict.retry_after_s is not None:
            wait = min(verdict.retry_after_s, s.retry_after_max_s)
        await ledger.record_attempt(
            self.pool, tenant, did, status="pending", status_code=answer.status, error=verdict.error,
            next_attempt_at=done + timedelta(seconds=wait), now=done,
        )  # fmt: skip
        DELIVERIES.labels("retried").inc()
        raise RetryLater(
            verdict.error or "retry", wait if verdict.retry_after_s is not None else None
        )

    async def _channel(self, tenant_id: str, channel_id: uuid.UUID) -> dict[str, Any] | None:
        """The channel as of at most a second ago (a delete or disable is seen within that)."""
        cached = self._channels.get(channel_id)
        if cached is None or time.monotonic() - cached[0] > 1.0:
            cached = (time.monotonic(), await channel_store.get(self.pool, tenant_id, channel_id))
            self._channels[channel_id] = cached
        return cached[1]

    async def _disable(
        self, row: dict[str, Any], status: int | None, error: str, since: datetime, now: datetime
    ) -> None:
        cid = row["channel_id"]
        reason = f"every attempt has failed since {since.isoformat()} (last: {error})"
        await ledger.record_attempt(self.pool, row["tenant_id"], row["delivery_id"],
                                    status="failed", status_code=status, error=error, next_attempt_at=None,
                                    now=now)  # fmt: skip
        async with self.pool.acquire() as conn, conn.transaction():
            await channel_store.set_status(conn, row["tenant_id"], cid, "disabled", reason, now)
            await ledger.cancel_channel(conn, row["tenant_id"], cid, "channel disabled", now)
        self._channels.pop(cid, None)
        CHANNELS_DISABLED.inc()
        DELIVERIES.labels("failed").inc()
        log.warning("channel disabled", extra={"channel_id": str(cid), "reason": reason})

    async def _digest_body(
        self, row: dict[str, Any], channel: dict[str, Any], now: datetime
    ) -> Any:
        s = self.settings
        end = row["next_attempt_at"] - timedelta(seconds=s.digest_grace_s)
        start = end - timedelta(seconds=s.flood_window_s)
        titles = await ledger.digest_titles(self.pool, row["tenant_id"], row["channel_id"], start,
                                            end, _DIGEST_SAMPLE)  # fmt: skip
        body = digest_message(ChannelKind(channel["kind"]), row["digest_count"], start, end,
                              titles, s.console_base_url)  # fmt: skip
        return await ledger.freeze_digest(
            self.pool, row["tenant_id"], row["delivery_id"], body, now
        )

    async def _refusal(self, url: str) -> str | None:
        """Why ``url`` may not be called now (checked before every attempt: DNS can change)."""
        development = self.settings.development
        try:
            target = check_url_shape(url, development=development)
        except UrlRefused as exc:
            return str(exc)
        try:
            addresses = await resolve(target.host, target.port)
        except OSError as exc:
            raise RetryLater(f"cannot resolve {target.host}: {exc}", None) from None
        return refused_host(target.host, addresses, development=development)
