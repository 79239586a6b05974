"""Kafka batch subscribers, the way every Guard service consumes: raw records in, one apply call,
and on failure a pause then a re-raise so the batch is delivered again.

Subscribers use ``ack_policy=NACK_ON_ERROR`` and ``decoder=keep_raw``: the service decodes (and
dead-letters) each record itself, and offsets are committed only after ``apply`` returned, i.e.
after the batch's database transaction committed (docs/architecture.md).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiokafka import ConsumerRecord
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage

log = logging.getLogger(__name__)
Records = Sequence[ConsumerRecord[Any, Any]]


async def keep_raw(message: StreamMessage[Any]) -> Any:
    """Skip FastStream's decoding: the service validates (and dead-letters) each record."""
    return message.body


def batch_records(message: KafkaMessage) -> Records:
    """The aiokafka records of a batch delivery (a single record comes as a 1-tuple)."""
    raw = message.raw_message
    return raw if isinstance(raw, tuple) else (raw,)


async def handle_batch(
    apply: Callable[[Records], Awaitable[object]], message: KafkaMessage, backoff_s: float
) -> None:
    """Apply one batch; on failure log, wait ``backoff_s`` (no spinning against a database that
    is down) and re-raise so the consumer rewinds and the batch comes again."""
    records = batch_records(message)
    try:
        await apply(records)
    except Exception:
        log.exception("batch failed; it will be re-delivered", extra={"records": len(records)})
        await asyncio.sleep(backoff_s)
        raise
