"""Raw Kafka records -> contract events, or dead letters naming why (docs/product/events.md)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiokafka import ConsumerRecord
from guard_runtime.dlq import DeadLetter

from guard_contracts.wire import ContractViolation, DlqReason, check_not_future, decode_event
from guard_ingest.adapters.metrics import CONSUMED


@dataclass(frozen=True, slots=True)
class DecodePolicy:
    max_bytes: int
    clock_skew: timedelta
    #: topic -> event types allowed on it
    allowed: dict[str, frozenset[str]]


@dataclass(slots=True)
class Decoded:
    events: list[tuple[ConsumerRecord[Any, Any], Any]] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)


def decode_records(
    records: Sequence[ConsumerRecord[Any, Any]], policy: DecodePolicy, now: datetime
) -> Decoded:
    out = Decoded()
    for topic, count in Counter(r.topic for r in records).items():
        CONSUMED.labels(topic).inc(count)
    for record in records:
        raw = record.value if record.value is not None else b""
        try:
            event = decode_event(
                raw, max_bytes=policy.max_bytes, allowed=policy.allowed.get(record.topic)
            )
            check_not_future(event.occurred_at, now, policy.clock_skew)
            # The key places a tenant's events in one partition, in order; one keyed otherwise
            # may overtake its tenant's earlier events (docs/product/events.md#keys-and-ordering).
            if record.key is not None and record.key != event.tenant_id.encode():
                raise ContractViolation(
                    DlqReason.TENANT_KEY_MISMATCH,
                    f"the message key {record.key[:80]!r} is not the event's tenant_id",
                )
        except ContractViolation as exc:
            out.dead.append(DeadLetter.from_record(record, exc.code.value, exc.message))
            continue
        out.events.append((record, event))
    return out


def rejected(record: ConsumerRecord[Any, Any], code: DlqReason, message: str) -> DeadLetter:
    return DeadLetter.from_record(record, code.value, message)
