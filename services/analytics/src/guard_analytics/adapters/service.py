"""The analytics service (L3): periodic cost rollup, incident rollup and anomaly loops.

Why poll Postgres rather than consume the cost topic: ingest has already deduplicated, validated
and committed every cost event with a ``seq``; reading committed rows along that sequence gives
exactly-once rollups without a second dedup ledger, and late or replayed events simply arrive
with a new seq and land in the bucket of their ``occurred_at``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from typing import Any

import asyncpg
import orjson
from prometheus_client import Counter, Gauge

from guard_analytics.adapters.anomaly_job import (
    budget_findings,
    daily_findings,
    new_events,
    record_published,
)
from guard_analytics.adapters.maintenance_job import (
    MaintenanceResult,
    Retention,
    maintenance_cycle,
)
from guard_analytics.adapters.rollup_job import (
    FOLLOW_UP_S,
    CycleResult,
    cost_cycle,
    incident_buckets_cycle,
    incident_cycle,
)
from guard_analytics.config import Settings
from guard_analytics.drivers.database import open_pool
from guard_analytics.drivers.publisher import Publisher
from guard_analytics.engines.incident_changes import stale_buckets
from guard_contracts.wire import encode

log = logging.getLogger(__name__)
EVENTS = Counter("guard_analytics_cost_events_rolled_up_total", "Cost events added to rollups")
POSITION = Gauge("guard_analytics_cost_watermark", "Highest cost_events.seq in the rollups")
ANOMALIES = Counter("guard_analytics_anomalies_published_total", "Anomalies published")


class AnalyticsService:
    def __init__(self, settings: Settings, publisher: Publisher) -> None:
        self.settings = settings
        self.publisher = publisher
        self._pool: asyncpg.Pool[Any] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._last_daily: date | None = None

    @property
    def pool(self) -> asyncpg.Pool[Any]:
        if self._pool is None:
            raise RuntimeError("the service is not started")
        return self._pool

    async def start(self) -> None:
        self._pool = await open_pool(self.settings.database_url, self.settings.db_pool_size)

    async def start_loops(self) -> None:
        s = self.settings
        for name, job, every in (
            ("cost-rollup", self.cost_once, s.cost_interval_s),
            ("incident-rollup", self.incidents_once, s.incident_interval_s),
            ("anomalies", self.anomalies_once, s.anomaly_interval_s),
            ("maintenance", self.maintenance_once, s.maintenance_interval_s),
        ):
            self._tasks.append(asyncio.create_task(self._loop(name, job, every), name=name))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._pool is not None:
            await self._pool.close()

    async def ready(self) -> bool:
        return bool(await self.pool.fetchval("SELECT 1"))

    async def _loop(self, name: str, job: Callable[[], Awaitable[Any]], every: float) -> None:
        while True:
            result = None
            try:
                result = await job()
            except asyncio.CancelledError:
                raise
            except Exception:
                # One failed cycle must not end the loop; the next cycle retries from the watermark.
                log.exception("analytics job failed", extra={"job": name})
            soon = isinstance(result, CycleResult) and result.follow_up
            await asyncio.sleep(min(every, FOLLOW_UP_S) if soon else every)

    async def cost_once(self) -> CycleResult:
        async with self.pool.acquire() as conn:
            result = await cost_cycle(
                conn,
                self.settings.clock,
                self.settings.cost_chunk_seqs,
                self.settings.rollup_work_mem,
            )
        if result.ran:
            EVENTS.inc(result.events)
            POSITION.set(result.position)
        await self._announce(result)
        return result

    async def maintenance_once(self) -> MaintenanceResult:
        s = self.settings
        retention = Retention(hourly_rollups_days=s.hourly_rollups_retention_days)
        async with self.pool.acquire() as conn:
            result = await maintenance_cycle(conn, s.clock, retention)
        if result.ran:
            log.info("maintenance", extra={"result": result})
        return result

    async def incidents_once(self) -> CycleResult:
        async with self.pool.acquire() as conn:
            result = await incident_cycle(conn, self.settings.clock)
        await self._announce(result)
        return result

    async def apply_incident_changes(self, payloads: Sequence[bytes]) -> CycleResult:
        """Recompute the rollup buckets a batch of incident changes touched."""
        changes = []
        for payload in payloads:
            try:
                decoded = orjson.loads(payload)
            except orjson.JSONDecodeError:
                decoded = None
            changes.append(decoded if isinstance(decoded, dict) else {})
        buckets, unusable = stale_buckets(changes)
        if unusable:
            # Ingest writes this topic from its own models; an unusable record is a bug there,
            # and the hourly reconciliation repairs whatever it would have touched.
            log.warning("incident changes without tenant or created_at", extra={"n": unusable})
        async with self.pool.acquire() as conn:
            result = await incident_buckets_cycle(conn, self.settings.clock, buckets)
        await self._announce(result)
        return result

    async def _announce(self, result: CycleResult) -> None:
        message = result.announcement()
        if message is not None:
            await self.publisher.send(
                self.settings.topic_analytics_results, result.snapshot, encode(message)
            )

    def _past_grace(self, now: datetime) -> bool:
        """Yesterday is judged only once its late events have had time to be rolled up."""
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return (now - midnight).total_seconds() >= self.settings.daily_detection_delay_s

    async def anomalies_once(self) -> int:
        """Detect and publish; returns how many anomalies were published."""
        now = self.settings.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            if not await conn.fetchval(
                "SELECT pg_try_advisory_xact_lock(hashtext('guard_analytics.anomalies'))"
            ):
                return 0
            findings = await budget_findings(conn, now)
            judge_days = self._last_daily != now.date() and self._past_grace(now)
            if judge_days:
                findings += await daily_findings(conn, now.date())
            events = await new_events(conn, findings, now)
            for event, _period in events:
                await self.publisher.send(
                    self.settings.topic_cost_anomalies, event.tenant_id, encode(event)
                )
            await record_published(conn, events, now)
        if judge_days:
            self._last_daily = now.date()
        ANOMALIES.inc(len(events))
        return len(events)
