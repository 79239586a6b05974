"""Dead-letter publishing (docs/product/events.md): bad input is never lost and never stops a consumer.

A DLQ record carries the original value, key and headers unchanged, plus the ``DlqHeader`` headers
naming the source topic, partition, offset, error code and message. Publish dead letters *before*
committing the source offsets: a crash in between re-delivers (at least once), never loses.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Self

from aiokafka import AIOKafkaProducer, ConsumerRecord
from prometheus_client import Counter

from guard_contracts.wire import DlqHeader

DLQ_MESSAGES = Counter(
    "guard_dlq_messages", "Messages sent to the dead-letter topic", ["source_topic", "code"]
)
#: Kafka limits header values; an error message longer than this is cut.
MAX_ERROR_MESSAGE_BYTES = 2048


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One message that cannot be applied, with where it came from and why."""

    value: bytes
    key: bytes | None
    headers: tuple[tuple[str, bytes], ...]
    source_topic: str
    source_partition: int
    source_offset: int
    code: str
    message: str

    @classmethod
    def from_record(cls, record: ConsumerRecord[Any, Any], code: str, message: str) -> DeadLetter:
        """From an aiokafka record whose key and value are still raw bytes."""
        return cls(
            value=record.value if record.value is not None else b"",
            key=record.key,
            headers=tuple((k, bytes(v)) for k, v in (record.headers or ())),
            source_topic=record.topic,
            source_partition=record.partition,
            source_offset=record.offset,
            code=str(code),
            message=message,
        )

    def kafka_headers(self, failed_at: datetime) -> list[tuple[str, bytes]]:
        """Original headers first (minus stale DLQ headers), then the reason headers."""
        ours = {h.value for h in DlqHeader}
        reason = [
            (DlqHeader.SOURCE_TOPIC.value, self.source_topic.encode()),
            (DlqHeader.SOURCE_PARTITION.value, str(self.source_partition).encode()),
            (DlqHeader.SOURCE_OFFSET.value, str(self.source_offset).encode()),
            (DlqHeader.ERROR_CODE.value, self.code.encode()),
            (
                DlqHeader.ERROR_MESSAGE.value,
                self.message.encode()[:MAX_ERROR_MESSAGE_BYTES],
            ),
            (DlqHeader.FAILED_AT.value, failed_at.isoformat().encode()),
        ]
        return [(k, v) for k, v in self.headers if k not in ours] + reason


class DlqPublisher:
    """Owns one idempotent producer for the DLQ topic; use as ``async with DlqPublisher(...)``."""

    def __init__(self, bootstrap_servers: str, topic: str, *, client_id: str = "guard-dlq") -> None:
        self.topic = topic
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers,
            client_id=client_id,
            acks="all",
            enable_idempotence=True,
        )

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def publish(self, letters: Sequence[DeadLetter]) -> None:
        """Send every letter and wait until the broker has acknowledged all of them."""
        if not letters:
            return
        failed_at = datetime.now(UTC)
        pending = [
            await self._producer.send(
                self.topic,
                value=letter.value,
                key=letter.key,
                headers=letter.kafka_headers(failed_at),
            )
            for letter in letters
        ]
        await asyncio.gather(*pending)
        for letter in letters:
            DLQ_MESSAGES.labels(letter.source_topic, letter.code).inc()
