"""The rollup jobs (L3): advance the cost watermark, refresh incident rollups, announce snapshots."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import asyncpg

from guard_analytics.drivers.rollups import (
    COST_JOB,
    COST_ROLLUP_TABLES,
    INCIDENT_JOB,
    RollupRepository,
    Watermark,
    cost_event_partitions,
    rebuild_cost_chunk,
    refresh_incident_buckets,
    refresh_incident_rollups,
    restore_cost_keys,
    restore_cost_table,
    session_lock,
    session_unlock,
    truncate_cost_rollups,
)
from guard_contracts.outputs import AnalyticsSnapshotCompleted

log = logging.getLogger(__name__)
#: Seqs per cost cycle and the work_mem of its transaction (the service passes its settings).
DEFAULT_CHUNK = 500_000
DEFAULT_WORK_MEM = "128MB"
#: Pause before a cycle whose only work is the next protocol step (see ``CycleResult.follow_up``)
#: instead of the full interval: long enough for writers that drew seqs to hold their xids.
FOLLOW_UP_S = 0.1
SNAPSHOT_NAMESPACE = uuid.UUID("a3c2b1f0-7d64-4e1a-9b3f-52d8c6e0f417")


@dataclass(frozen=True, slots=True)
class CycleResult:
    snapshot: str
    ran: bool  # False when another replica held the lock
    events: int
    rows_changed: int
    position: int
    advanced_at: datetime | None
    #: Run the next cycle after ``FOLLOW_UP_S`` rather than the full interval: the next step only
    #: takes an xid (stage 2), or a backlog remains beyond this cycle's chunk. Waiting a whole
    #: interval there added an interval to every event's lag (docs/operations-scaling.md).
    follow_up: bool = False

    def announcement(self) -> AnalyticsSnapshotCompleted | None:
        """The snapshot-completed event, only when something changed."""
        if not self.ran or self.rows_changed == 0 or self.advanced_at is None:
            return None
        return AnalyticsSnapshotCompleted(
            event_id=uuid.uuid5(SNAPSHOT_NAMESPACE, f"{self.snapshot}:{self.position}"),
            tenant_id="*",
            occurred_at=self.advanced_at,
            snapshot=self.snapshot,
            watermark=self.advanced_at,
            rows_changed=self.rows_changed,
            details={"position": self.position, "events": self.events},
        )


async def cost_cycle(
    conn: asyncpg.Connection[Any],
    clock: Callable[[], datetime],
    chunk: int = DEFAULT_CHUNK,
    work_mem: str = DEFAULT_WORK_MEM,
) -> CycleResult:
    """One cost rollup cycle in one transaction (see drivers.rollups for the watermark scheme).

    A complete range is read at most ``chunk`` seqs per cycle, so a backfill is a series of
    bounded transactions whose aggregation fits in ``work_mem`` instead of spilling to disk."""
    async with conn.transaction():
        repo = RollupRepository(conn)
        if not await repo.try_lock(COST_JOB):
            return CycleResult("cost", False, 0, 0, 0, None)
        now = clock()
        mark = await repo.watermark(COST_JOB, now)
        snap = await repo.snapshot()
        events = rows = 0
        follow_up = False
        pending, pending_xmax = mark.pending_position, mark.pending_xmax
        if pending is None:
            # Stage 1: remember how far the sequence has been handed out.
            mark = replace(mark, pending_position=snap.last_seq, pending_xmax=None)
            follow_up = True
        elif pending_xmax is None:
            # Stage 2: a cycle later, every statement that drew those seqs holds an xid, and xids
            # are handed out in order, so all of them are below this transaction's own. (Not the
            # snapshot's xmax: that is latest-completed + 1, which a running xid may equal.)
            mark = replace(mark, pending_xmax=await repo.own_xid())
        elif snap.xmin >= pending_xmax or not await repo.older_in_flight(pending_xmax):
            # Stage 3: all of them have finished, so (position, pending] is complete: read it,
            # a chunk at a time; the pending mark stays until the whole range is in.
            high = min(pending, mark.position + chunk)
            if high > mark.position:
                await repo.set_work_mem(work_mem)
                delta = await repo.apply_cost_range(mark.position, high)
                events, rows = delta.events, delta.rows_changed
            advanced = now if rows else mark.advanced_at
            if high < pending:
                mark = Watermark(high, pending, pending_xmax, advanced)
            else:
                # Stage 1 of the next range, read after the apply so that the events committed
                # meanwhile are in it too.
                mark = Watermark(pending, await repo.last_seq(), None, advanced)
            follow_up = True
        await repo.save_watermark(COST_JOB, mark)
        return CycleResult(
            "cost", True, events, rows, mark.position, mark.advanced_at, follow_up=follow_up
        )


async def incident_cycle(
    conn: asyncpg.Connection[Any], clock: Callable[[], datetime]
) -> CycleResult:
    async with conn.transaction():
        repo = RollupRepository(conn)
        if not await repo.try_lock(INCIDENT_JOB):
            return CycleResult("incidents", False, 0, 0, 0, None)
        now = clock()
        mark = await repo.watermark(INCIDENT_JOB, now)
        rows = await refresh_incident_rollups(conn)
        advanced = now if rows else mark.advanced_at
        await repo.save_watermark(INCIDENT_JOB, replace(mark, advanced_at=advanced))
        return CycleResult("incidents", True, 0, rows, 0, advanced)


async def incident_buckets_cycle(
    conn: asyncpg.Connection[Any],
    clock: Callable[[], datetime],
    buckets: Sequence[tuple[str, datetime]],
) -> CycleResult:
    """Recompute the (tenant, hour) buckets named by incident changes, in one transaction.

    It waits for the lock instead of skipping: these changes are consumed once, and a whole-table
    reconciliation running on another replica must not make them vanish."""
    async with conn.transaction():
        repo = RollupRepository(conn)
        await repo.wait_lock(INCIDENT_JOB)
        now = clock()
        mark = await repo.watermark(INCIDENT_JOB, now)
        rows = await refresh_incident_buckets(conn, buckets)
        advanced = now if rows else mark.advanced_at
        await repo.save_watermark(INCIDENT_JOB, replace(mark, advanced_at=advanced))
        return CycleResult("incidents", True, len(buckets), rows, 0, advanced)


async def catch_up(
    pool: asyncpg.Pool[Any], clock: Callable[[], datetime], chunk: int = DEFAULT_CHUNK
) -> int:
    """Run cost cycles until the watermark reaches every event committed before the call.

    Used by the benchmark and by tests; the service loop does the same one cycle at a time.
    """
    async with pool.acquire() as conn:
        target = await conn.fetchval(
            "SELECT coalesce(pg_sequence_last_value("
            "pg_get_serial_sequence('cost_events', 'seq')::regclass), 0)"
        )
        total = 0
        while True:
            result = await cost_cycle(conn, clock, chunk)
            total += result.events
            if result.ran and result.position >= target:
                return total
            await asyncio.sleep(0.01 if result.ran else 0.2)


@dataclass(frozen=True, slots=True)
class RebuildResult:
    events: int
    position: int
    seconds: float
    #: Of ``seconds``: aggregating the chunks, and building the keys afterwards.
    aggregate_seconds: float = 0.0
    keys_seconds: float = 0.0


async def rebuild_cost_rollups(
    pool: asyncpg.Pool[Any],
    clock: Callable[[], datetime],
    parallel: int = 2,
    shares: int | None = None,
    work_mem: str = DEFAULT_WORK_MEM,
) -> RebuildResult:
    """Rebuild every cost rollup from the raw events, ``parallel`` connections at a time.

    Holds the cost job's lock for the whole rebuild (incremental cycles skip meanwhile), reads
    up to a position no running transaction can still write below (the cycle's own rule), and
    leaves the watermark there, so the incremental job goes on from exactly where it ends.
    A chunk is one month partition × one of ``shares`` (default ``parallel``) tenant shares by
    hash: keys never cross chunks, each chunk reads one partition, and a large month does not
    leave one connection working alone at the end. The rollups' primary keys
    are dropped meanwhile and built once at the end. Readers see partial rollups while it
    runs: it is a maintenance operation (docs/operations-scaling.md)."""
    clock_s = asyncio.get_running_loop().time
    started = clock_s()
    async with pool.acquire() as lead:
        await session_lock(lead, COST_JOB)
        try:
            repo = RollupRepository(lead)
            target = (await repo.snapshot()).last_seq
            async with lead.transaction():
                xid = await repo.own_xid()
            while True:
                snap = await repo.snapshot()
                if snap.xmin >= xid or not await repo.older_in_flight(xid):
                    break
                await asyncio.sleep(0.05)
            await truncate_cost_rollups(lead)
            split = shares or parallel
            queue: asyncio.Queue[tuple[str, int]] = asyncio.Queue()
            for partition in await cost_event_partitions(lead):
                for share in range(split):
                    queue.put_nowait((partition, share))

            async def worker() -> int:
                done = 0
                async with pool.acquire() as conn:
                    while not queue.empty():
                        partition, share = queue.get_nowait()
                        done += await rebuild_cost_chunk(
                            conn, partition, target, split, share, work_mem
                        )
                return done

            try:
                aggregating = clock_s()
                events = sum(await asyncio.gather(*(worker() for _ in range(parallel))))
                keying = clock_s()
                # Biggest first, on the parallel connections: the keys are sorts, one per table.
                tables: asyncio.Queue[str] = asyncio.Queue()
                for table in COST_ROLLUP_TABLES:
                    tables.put_nowait(table)

                async def restorer() -> None:
                    async with pool.acquire() as conn:
                        while not tables.empty():
                            await restore_cost_table(conn, tables.get_nowait(), work_mem)

                await asyncio.gather(*(restorer() for _ in range(parallel)))
                keyed = clock_s()
            finally:
                await restore_cost_keys(lead, work_mem)  # a no-op unless a step above failed
            async with lead.transaction():
                now = clock()
                await repo.watermark(COST_JOB, now)
                await repo.save_watermark(COST_JOB, Watermark(target, None, None, now))
        finally:
            await session_unlock(lead, COST_JOB)
    return RebuildResult(events, target, clock_s() - started, keying - aggregating, keyed - keying)
