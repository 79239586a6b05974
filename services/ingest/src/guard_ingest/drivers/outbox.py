"""The transactional outbox: rows written with the batch, published after it commits."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner

#: One relay at a time keeps each incident's changes in order on the topic.
_RELAY_LOCK = 0x6775617264_01  # "guard" 01


_DEFAULT_PARTITIONER = DefaultPartitioner()


def partition(key: bytes | None, all_partitions: list[int], available: list[int]) -> int:
    """aiokafka's default partitioner (Kafka's: murmur2 of the key), remembered per key.

    The relay sends one message per timeline entry, keyed by tenant, and aiokafka hashes every
    key in pure Python (~3 µs each); a tenant's key always gives the same partition index for a
    given partition count, so the index is computed once by aiokafka's own function and reused.
    Keyless messages (none here) still go to a random partition through it.
    """
    if key is None:
        return int(_DEFAULT_PARTITIONER(key, all_partitions, available))
    return all_partitions[_partition_index(key, len(all_partitions))]


@lru_cache(maxsize=65_536)
def _partition_index(key: bytes, count: int) -> int:
    return int(_DEFAULT_PARTITIONER(key, range(count), None))


async def add(conn: asyncpg.Connection[Any], rows: Sequence[tuple[str, bytes, bytes]]) -> None:
    """Store (topic, key, payload) rows; the key is the tenant id, which also keys the row."""
    if rows:
        await conn.copy_records_to_table(
            "outbox",
            records=[(key.decode(), topic, key, payload) for topic, key, payload in rows],
            columns=("tenant_id", "topic", "key", "payload"),
        )


async def relay(pool: asyncpg.Pool[Any], producer: AIOKafkaProducer, limit: int) -> int:
    """Publish up to ``limit`` pending rows in id order and delete them once acknowledged.

    A crash between the broker's ack and the delete re-publishes; IncidentChanged carries a
    deterministic event_id so consumers drop the repeat.
    """
    async with pool.acquire() as conn, conn.transaction():
        if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", _RELAY_LOCK):
            return 0
        rows = await conn.fetch(
            "SELECT tenant_id, id, topic, key, payload FROM outbox ORDER BY id LIMIT $1", limit
        )
        if not rows:
            return 0
        pending = [await producer.send(r["topic"], value=r["payload"], key=r["key"]) for r in rows]
        await asyncio.gather(*pending)
        await conn.execute(
            "DELETE FROM outbox AS o USING unnest($1::text[], $2::bigint[]) AS d(tenant_id, id)"
            " WHERE o.tenant_id = d.tenant_id AND o.id = d.id",
            [r["tenant_id"] for r in rows],
            [r["id"] for r in rows],
        )
        return len(rows)
