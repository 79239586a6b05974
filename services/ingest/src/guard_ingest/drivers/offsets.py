"""Consumer-group lag from the broker: end offset minus the group's committed offset.

The committed offset is ground truth for every replica: ingest commits a batch's offsets only after
its database transaction committed, so "committed == end" means every record the partition held
when asked is applied in the database, whichever process applied it.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

Lag = dict[TopicPartition, int]


class GroupOffsets:
    def __init__(self, bootstrap_servers: str, client_id: str) -> None:
        self._admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers,
                                          client_id=f"{client_id}-admin")  # fmt: skip
        # No group: only asks for partitions' first and end offsets.
        self._offsets = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=None,
                                         enable_auto_commit=False, client_id=f"{client_id}-lag")  # fmt: skip

    async def start(self) -> None:
        await self._admin.start()
        await self._offsets.start()

    async def stop(self) -> None:
        await self._offsets.stop()
        await self._admin.close()

    async def partitions(self, topics: Sequence[str]) -> list[TopicPartition]:
        described = await self._admin.describe_topics(list(topics))
        return sorted(
            (
                TopicPartition(t["topic"], p["partition"])
                for t in described
                for p in t["partitions"]
            ),
            key=lambda tp: (tp.topic, tp.partition),
        )

    async def lag(self, group_id: str, topics: Sequence[str]) -> Lag:
        """Records each partition of ``topics`` holds beyond the group's committed offset."""
        tps = await self.partitions(topics)
        if not tps:
            return {}
        end = await self._offsets.end_offsets(tps)
        first = await self._offsets.beginning_offsets(tps)
        committed = await self._admin.list_consumer_group_offsets(group_id, partitions=tps)
        lag: Lag = {}
        for tp in tps:
            meta = committed.get(tp)
            # Nothing committed yet: the group starts at the earliest record still retained.
            position = meta.offset if meta is not None and meta.offset >= 0 else first[tp]
            lag[tp] = max(0, end[tp] - max(position, first[tp]))
        return lag
