"""The ingest use cases the entrypoints call: apply a batch, sweep idle incidents, relay changes.

The edge owns the transaction: each method opens exactly one and commits it before returning.
Dead letters are published after the commit and before the caller acks the batch, so a crash
re-delivers rather than loses them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer, ConsumerRecord
from guard_runtime.dlq import DeadLetter, DlqPublisher

from guard_contracts.events import CostRecorded
from guard_contracts.wire import DlqReason
from guard_ingest.adapters import mapping
from guard_ingest.adapters.decoding import DecodePolicy, decode_records
from guard_ingest.adapters.exported import ExportedRecorder
from guard_ingest.adapters.incident_batch import apply_incident_batch, write_book
from guard_ingest.adapters.lag import LagMonitor
from guard_ingest.adapters.metrics import (
    APPLIED,
    AUTO_RESOLVED,
    BATCH_SECONDS,
    BATCH_SIZE,
    DEAD_LETTERED,
    DUPLICATES,
    OUTBOX_PUBLISHED,
)
from guard_ingest.adapters.partitions_job import (
    PartitionPolicy,
    PartitionResult,
    maintain_partitions,
)
from guard_ingest.config import Settings
from guard_ingest.drivers import incidents as incident_store
from guard_ingest.drivers import outbox
from guard_ingest.drivers import raw_events as raw_store
from guard_ingest.drivers.offsets import GroupOffsets
from guard_ingest.drivers.pool import create_pool, ping
from guard_ingest.engines.book import IncidentBook
from guard_ingest.engines.model import EngineConfig

log = logging.getLogger(__name__)
Records = Sequence[ConsumerRecord[Any, Any]]


def engine_config(settings: Settings) -> EngineConfig:
    return EngineConfig(
        group_window=timedelta(seconds=settings.group_window_s),
        idle_timeout=timedelta(seconds=settings.idle_timeout_s),
        anomaly_idle_timeout=timedelta(seconds=settings.anomaly_idle_timeout_s),
        flood_cap_per_hour=settings.flood_cap_per_hour,
    )


_CHANGES_BATCH_BYTES = 512 * 1024


class IngestService:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.topics = settings.topics()
        self.engine = engine_config(settings)
        t = self.topics
        self.policy = DecodePolicy(
            max_bytes=settings.max_message_bytes,
            clock_skew=timedelta(seconds=settings.clock_skew_s),
            allowed={
                t.cost_events: frozenset({"cost.recorded"}),
                t.killswitch_events: frozenset({"killswitch.triggered", "killswitch.released"}),
                t.budgets: frozenset({"budget.set"}),
                t.incident_commands: frozenset({"incident.acknowledge", "incident.resolve"}),
                t.cost_anomalies: frozenset({"cost.anomaly_detected"}),
            },
        )
        self._pool: asyncpg.Pool[Any] | None = None
        self._dlq = DlqPublisher(settings.kafka_bootstrap_servers, t.dlq,
                                 client_id=f"{settings.client_id}-dlq")  # fmt: skip
        self._producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            client_id=f"{settings.client_id}-changes",
            acks="all",
            enable_idempotence=True,
            # aiokafka's default (16 KiB, about ten IncidentChanged messages) makes the relay
            # wait for a full batch to drain before it can queue the next ten; 512 KiB holds a
            # few hundred and stays well under the broker's 1 MB message.max.bytes.
            max_batch_size=_CHANGES_BATCH_BYTES,
            partitioner=outbox.partition,
        )
        self.incident_topics = (t.killswitch_events, t.cost_anomalies, t.incident_commands,
                                t.budgets)  # fmt: skip
        self.lag = LagMonitor(
            GroupOffsets(settings.kafka_bootstrap_servers, settings.client_id),
            {f"{settings.group_id}.incidents": self.incident_topics,
             f"{settings.group_id}.cost": (t.cost_events,)},
        )  # fmt: skip
        self.lateness = timedelta(seconds=settings.allowed_lateness_s)
        self._tasks: list[asyncio.Task[None]] = []
        self._failures: dict[tuple[str, int, int], int] = {}
        self._outbox_nudge = asyncio.Event()

    @property
    def pool(self) -> asyncpg.Pool[Any]:
        assert self._pool is not None, "IngestService.start() first"
        return self._pool

    async def start(self) -> None:
        self._pool = await create_pool(self.settings.database_url, self.settings.db_pool_size)
        await self._dlq.start()
        await self._producer.start()
        await self.lag.offsets.start()
        self._tasks = [
            asyncio.create_task(self._every(self.settings.lag_interval_s, self.lag.refresh),
                                name="consumer-lag"),
            asyncio.create_task(self._every(self.settings.auto_resolve_interval_s,
                                            self.auto_resolve_once), name="auto-resolve"),
            asyncio.create_task(self._relay_loop(), name="outbox-relay"),
            asyncio.create_task(self._every(self.settings.maintenance_interval_s,
                                            self.maintain_partitions_once), name="partitions"),
        ]  # fmt: skip

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(Exception):
            await self.relay_outbox_once()  # flush what the last batches produced
        await self._producer.stop()
        await self._dlq.stop()
        await self.lag.offsets.stop()
        if self._pool is not None:
            await self._pool.close()

    async def ready(self) -> bool:
        return self._pool is not None and await ping(self._pool)

    def catching_up(self) -> str | None:
        """Why /readyz says not ready while the database and broker answer, if it does."""
        return self.lag.behind(self.settings.ready_max_lag)

    # -- batches -----------------------------------------------------------------------------

    async def apply_cost_batch(self, records: Records) -> None:
        await self._isolating(self._apply_cost, records)

    async def apply_incident_batch(self, records: Records) -> None:
        await self._isolating(self._apply_incidents, records)

    async def apply_export_results(self, records: Records) -> None:
        """The ``exported`` timeline entries, with the same dead letters and poison-record
        isolation as the other batches: a result that keeps failing while the database answers
        is dead-lettered instead of stopping its consumer (a fuzzing finding)."""
        recorder = ExportedRecorder(self.pool, self.topics.incident_changes, self._dead_letter)
        await self._isolating(recorder.apply, records)

    async def _isolating(
        self, apply: Callable[[Records], Awaitable[object]], records: Records
    ) -> None:
        """Re-raise failures (the batch is re-delivered) until one batch keeps failing while the
        database answers: then it is a poison record, not an outage, and it must not stop the
        consumer. Apply the records one by one; dead-letter those that still fail."""
        first = records[0]
        key = (first.topic, first.partition, first.offset)
        try:
            await apply(records)
        except Exception:
            failures = self._failures[key] = self._failures.get(key, 0) + 1
            if failures < self.settings.isolate_after_failures or not await self._db_answers():
                raise
            log.exception(
                "batch keeps failing; isolating its records", extra={"records": len(records)}
            )
            for record in records:
                try:
                    await apply([record])
                except Exception as exc:
                    if not await self._db_answers():
                        raise
                    letter = DeadLetter.from_record(record, DlqReason.PROCESSING_FAILED.value,
                                                    f"{type(exc).__name__}: {exc}")  # fmt: skip
                    await self._dead_letter([letter])
        self._failures.pop(key, None)

    async def _db_answers(self) -> bool:
        try:
            return await ping(self.pool)
        except Exception:
            return False

    async def _apply_cost(self, records: Records) -> None:
        started = time.perf_counter()
        decoded = decode_records(records, self.policy, datetime.now(UTC))
        rows = [mapping.cost_row(e) for _, e in decoded.events if isinstance(e, CostRecorded)]
        async with self.pool.acquire() as conn, conn.transaction():
            inserted = await raw_store.insert_cost_events(conn, rows)
        self.lag.applied(decoded.events)
        APPLIED.labels("cost.recorded").inc(inserted)
        DUPLICATES.labels("cost.recorded").inc(len(rows) - inserted)
        await self._dead_letter(decoded.dead)
        self._observe("cost", records, started)

    async def _apply_incidents(self, records: Records) -> None:
        started = time.perf_counter()
        decoded = decode_records(records, self.policy, datetime.now(UTC))
        async with self.pool.acquire() as conn, conn.transaction():
            rejected = await apply_incident_batch(conn, decoded.events, self.topics, self.engine)
        self.lag.applied(decoded.events)
        self._outbox_nudge.set()
        await self._dead_letter(decoded.dead + rejected)
        self._observe("incidents", records, started)

    async def _dead_letter(self, letters: list[DeadLetter]) -> None:
        if not letters:
            return
        await self._dlq.publish(letters)
        for letter in letters:
            DEAD_LETTERED.labels(letter.source_topic, letter.code).inc()
            log.warning("dead-lettered", extra={"source_topic": letter.source_topic,
                        "partition": letter.source_partition, "offset": letter.source_offset,
                        "code": letter.code, "reason": letter.message})  # fmt: skip

    @staticmethod
    def _observe(subscriber: str, records: Records, started: float) -> None:
        BATCH_SECONDS.labels(subscriber).observe(time.perf_counter() - started)
        BATCH_SIZE.labels(subscriber).observe(len(records))

    # -- periodic work -----------------------------------------------------------------------

    async def auto_resolve_once(self, now: datetime | None = None) -> int:
        """Persist the resolution of incidents idle past their timeout *in event time*.

        An incident is resolved once its tenant's horizon has passed its deadline: on each topic
        the tenant has events on, its stream time there — or the wall clock once the consumer
        group has caught up with the tenant's partition of it — minus the allowed lateness, the
        earliest of them. A backlog thus never resolves what its own events would keep open
        (docs/adr/0001-event-time-idle-sweep.md). SKIP LOCKED lets several replicas sweep side
        by side. Returns how many incidents it resolved.
        """
        # The clock first, then the lag: a record published after the lag was read is then
        # either later than now - lateness or late by definition.
        now = now or datetime.now(UTC)
        try:
            lag = await self.lag.refresh()
        except Exception:
            log.warning("consumer lag unknown; sweeping by stream time only", exc_info=True)
            lag = {}
        caught_up = self.lag.caught_up(lag, self.incident_topics)
        everything = bool(lag) and len(caught_up) == sum(
            1 for tp in lag if tp.topic in self.incident_topics
        )
        total = 0
        while True:
            async with self.pool.acquire() as conn, conn.transaction():
                rows = await incident_store.lock_idle(
                    conn, caught_up=caught_up, all_caught_up=everything, now=now,
                    lateness=self.lateness, idle_timeout=self.engine.idle_timeout,
                    anomaly_timeout=self.engine.anomaly_idle_timeout,
                    limit=self.settings.auto_resolve_batch,
                )  # fmt: skip
                horizon = {r["tenant_id"]: r.pop("horizon") for r in rows}
                book = IncidentBook(self.engine, [mapping.incident_from_row(r) for r in rows])
                resolved = book.auto_resolve_before(horizon)
                await write_book(conn, book, self.topics.incident_changes)
            total += len(resolved)
            if resolved:
                AUTO_RESOLVED.inc(len(resolved))
                self._outbox_nudge.set()
            if len(rows) < self.settings.auto_resolve_batch:
                return total

    async def maintain_partitions_once(self, now: datetime | None = None) -> PartitionResult:
        """Months of ``cost_events`` created ahead, old ones dropped per the retention."""
        s = self.settings
        policy = PartitionPolicy(s.partitions_ahead_days, s.cost_events_retention_days)
        async with self.pool.acquire() as conn:
            result = await maintain_partitions(conn, now or datetime.now(UTC), policy)
        if result.created or result.dropped:
            log.info("cost_events partitions", extra={"partitions_created": result.created,
                                                       "partitions_dropped": result.dropped})  # fmt: skip
        return result

    async def relay_outbox_once(self) -> int:
        published = 0
        while sent := await outbox.relay(self.pool, self._producer, self.settings.outbox_batch):
            published += sent
            OUTBOX_PUBLISHED.inc(sent)
        return published

    async def _relay_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._outbox_nudge.wait(), self.settings.outbox_interval_s)
            self._outbox_nudge.clear()
            await self._guarded(self.relay_outbox_once)

    async def _every(self, seconds: float, job: Any) -> None:
        while True:
            await self._guarded(job)
            await asyncio.sleep(seconds)

    @staticmethod
    async def _guarded(job: Any) -> None:
        # A periodic job must outlive a failed run (database restart, broker hiccup).
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("periodic job failed", extra={"job": getattr(job, "__name__", "?")})
            await asyncio.sleep(1)
