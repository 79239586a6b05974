"""The relay's partitioner picks exactly the partition aiokafka's default partitioner picks.

The outbox relay keys each IncidentChanged by tenant so a tenant's changes stay in order on one
partition; consumers and other producers of the topic rely on Kafka's default (murmur2) mapping.
"""

from __future__ import annotations

import random

from aiokafka.partitioner import DefaultPartitioner, murmur2

from guard_ingest.drivers.outbox import partition


def _keys() -> list[bytes]:
    rng = random.Random(20261129)
    keys = [b"", b"a", b"ab", b"abc", b"abcd", b"abcde", b"\xff" * 7, b"\x00" * 9]
    keys += [f"tenant-{i:04d}".encode() for i in range(1000)]
    keys += ["tenant-ä".encode(), "日本".encode(), b"x" * 64]
    keys += [rng.randbytes(rng.randrange(0, 80)) for _ in range(5000)]
    return keys


def test_same_partition_as_aiokafka_for_every_key_and_partition_count() -> None:
    oracle = DefaultPartitioner()
    rng = random.Random(7)
    checked = 0
    for key in _keys():
        for count in (1, 2, 3, 6, 12, rng.randrange(1, 257)):
            all_partitions = list(range(count))
            available = all_partitions[: max(1, count // 2)]
            expected = oracle(key, all_partitions, available)
            assert partition(key, all_partitions, available) == expected, (key, count)
            # asked again: the remembered answer is still the same
            assert partition(key, all_partitions, available) == expected
            checked += 1
    assert checked > 30_000
    # and the spread is murmur2's, not a constant
    assert len({partition(k, list(range(12)), []) for k in _keys()}) == 12


def test_partition_ids_are_taken_from_the_list_given() -> None:
    oracle = DefaultPartitioner()
    for key in _keys()[:500]:
        all_partitions = [3, 5, 8, 13]
        assert partition(key, all_partitions, [5]) == oracle(key, all_partitions, [5])
        assert (
            partition(key, all_partitions, [5]) == all_partitions[(murmur2(key) & 0x7FFFFFFF) % 4]
        )


def test_keyless_messages_go_to_an_available_partition() -> None:
    for _ in range(200):
        assert partition(None, [0, 1, 2, 3], [1, 2]) in (1, 2)
        assert partition(None, [0, 1, 2, 3], []) in (0, 1, 2, 3)
