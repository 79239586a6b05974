"""The shared batch-subscriber plumbing: records out of a delivery, re-delivery on failure."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any, cast

import pytest
from faststream.kafka.annotations import KafkaMessage
from guard_runtime.batches import Records, batch_records, handle_batch


def _delivery(raw: object) -> KafkaMessage:
    return cast("KafkaMessage", SimpleNamespace(raw_message=raw))


def test_a_batch_delivery_and_a_single_record_both_give_a_tuple_of_records() -> None:
    first, second = object(), object()
    assert batch_records(_delivery((first, second))) == (first, second)
    assert batch_records(_delivery(first)) == (first,)


async def test_a_batch_that_applies_is_handed_over_once() -> None:
    seen: list[Records] = []

    async def apply(records: Records) -> None:
        seen.append(records)

    await handle_batch(apply, _delivery(("a", "b")), backoff_s=0)
    assert seen == [("a", "b")]


async def test_a_failing_batch_waits_then_raises_so_it_is_delivered_again() -> None:
    async def apply(records: Records) -> Any:
        raise ConnectionError("database away")

    started = time.monotonic()
    with pytest.raises(ConnectionError, match="database away"):
        await handle_batch(apply, _delivery(("a",)), backoff_s=0.2)
    assert time.monotonic() - started >= 0.19
