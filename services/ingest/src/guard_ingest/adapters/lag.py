"""How far behind the stream ingest is: consumer lag and stream time per partition.

Lag comes from the broker (end offset minus the group's committed offset, see drivers/offsets.py),
so every replica sees the same numbers; stream time is the latest ``occurred_at`` this process has
applied from a partition. Both are Prometheus gauges; the idle sweep asks which partitions are
caught up and /readyz reports "catching up" above a threshold.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiokafka import ConsumerRecord, TopicPartition

from guard_ingest.adapters.metrics import LAG, LAG_TOTAL, STREAM_TIME
from guard_ingest.drivers.offsets import GroupOffsets, Lag


@dataclass
class LagMonitor:
    offsets: GroupOffsets
    #: consumer group -> the topics it reads
    groups: Mapping[str, Sequence[str]]
    lag: Lag = field(default_factory=dict)
    checked_at: float | None = None
    stream_time: dict[TopicPartition, datetime] = field(default_factory=dict)

    async def refresh(self) -> Lag:
        lag: Lag = {}
        for group, topics in self.groups.items():
            lag |= await self.offsets.lag(group, topics)
        for tp, behind in lag.items():
            LAG.labels(tp.topic, str(tp.partition)).set(behind)
        LAG_TOTAL.set(sum(lag.values()))
        self.lag, self.checked_at = lag, time.monotonic()
        return lag

    def caught_up(self, lag: Lag, topics: Sequence[str]) -> list[tuple[str, int]]:
        return sorted((tp.topic, tp.partition) for tp, n in lag.items()
                      if n == 0 and tp.topic in topics)  # fmt: skip

    def applied(self, events: Sequence[tuple[ConsumerRecord[Any, Any], Any]]) -> None:
        """Advance the per-partition stream time with a committed batch's events."""
        latest: dict[tuple[str, int], datetime] = {}
        for record, event in events:
            key = (record.topic, record.partition)
            current = latest.get(key)
            if current is None or current < event.occurred_at:
                latest[key] = event.occurred_at
        for (topic, partition), at in latest.items():
            tp = TopicPartition(topic, partition)
            current = self.stream_time.get(tp)
            if current is None or current < at:
                self.stream_time[tp] = at
                STREAM_TIME.labels(topic, str(partition)).set(at.timestamp())

    def behind(self, threshold: int, now: datetime | None = None) -> str | None:
        """None when at most ``threshold`` records are behind, else a sentence saying how far.
        Until the lag has been read once, ingest does not know, so it does not claim to be ready."""
        if self.checked_at is None:
            return "catching up: consumer lag not measured yet"
        total = sum(self.lag.values())
        if total <= threshold:
            return None
        worst = sorted(((n, tp) for tp, n in self.lag.items() if n), key=lambda x: -x[0])[:3]
        where = ", ".join(f"{tp.topic}[{tp.partition}]: {n}" for n, tp in worst)
        text = f"catching up: {total} records behind ({where})"
        lagging = [self.stream_time[tp] for _, tp in worst if tp in self.stream_time]
        if lagging:
            oldest = min(lagging)
            seconds = int(((now or datetime.now(UTC)) - oldest).total_seconds())
            text += f"; stream time {oldest.isoformat()} ({seconds} s behind the wall clock)"
        return text
