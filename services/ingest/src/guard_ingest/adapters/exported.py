"""The ``exported`` timeline entry (docs/exports.md, "Export history").

Ingest is the incident timeline's one writer, so it — not the exporter — appends the entry, from
the exporter's ``export.result`` events: who exported, what (kind, format, export id) and the
artifact's SHA-256. Only completed exports of one incident count (an audit-period export covers
many incidents and adds no entry to each). The entry is appended like any other — the incident row
locked, the chain extended with the same hashing, the head advanced in the same transaction, one
outbox change — and only once per result: its ``source_event_id`` is the result's deterministic
event id, so a redelivered result is recognised and skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncpg
from aiokafka import ConsumerRecord
from guard_runtime.dlq import DeadLetter
from pydantic import ValidationError

from guard_contracts.enums import ExportStatus, TimelineEntryType
from guard_contracts.outputs import ExportResult
from guard_contracts.wire import DlqReason, describe_validation_error
from guard_ingest.adapters import mapping
from guard_ingest.drivers import incidents as incident_store
from guard_ingest.drivers import outbox
from guard_ingest.engines.timeline import append

log = logging.getLogger(__name__)


def exported_data(result: ExportResult) -> dict[str, Any]:
    """What the entry records: who, what, and the artifact's hash."""
    return {
        "export_id": str(result.export_id),
        "kind": result.kind.value,
        "format": result.format.value,
        "requested_by": result.requested_by,
        "sha256": result.sha256,
        "size_bytes": result.size_bytes,
    }


DeadLetters = Callable[[list[DeadLetter]], Awaitable[None]]


def _decode(record: ConsumerRecord[Any, Any]) -> ExportResult | DeadLetter:
    """The result, or its dead letter: a result that is not one, or that the timeline could
    not store, is dead-lettered with the reason (docs/product/events.md#dead-letters)."""
    try:
        return ExportResult.model_validate_json(record.value or b"")
    except ValidationError as exc:
        malformed = any(e["type"] == "json_invalid" for e in exc.errors())
        code = DlqReason.MALFORMED_JSON if malformed else DlqReason.SCHEMA_VIOLATION
        return DeadLetter.from_record(record, code.value, describe_validation_error(exc))


class ExportedRecorder:
    def __init__(
        self, pool: asyncpg.Pool[Any], changes_topic: str, dead_letter: DeadLetters
    ) -> None:
        self._pool = pool
        self._changes_topic = changes_topic
        self._dead_letter = dead_letter

    async def apply(self, records: Sequence[ConsumerRecord[Any, Any]]) -> int:
        """Append an ``exported`` entry for each completed single-incident export; the count.
        Dead letters are published after the transaction commits, before the batch is acked."""
        decoded = [_decode(record) for record in records]
        wanted = [
            r
            for r in decoded
            if isinstance(r, ExportResult)
            and r.status is ExportStatus.COMPLETED
            and r.incident_id is not None
        ]
        written = 0
        async with self._pool.acquire() as conn, conn.transaction():
            for result in wanted:
                written += await self._append(conn, result)
        await self._dead_letter([r for r in decoded if isinstance(r, DeadLetter)])
        return written

    async def _append(self, conn: asyncpg.Connection[Any], result: ExportResult) -> int:
        assert result.incident_id is not None
        rows = await incident_store.lock_by_id(conn, [(result.tenant_id, result.incident_id)])
        if not rows:
            log.warning(
                "export result for an unknown incident skipped",
                extra={"export_id": str(result.export_id)},
            )
            return 0
        seen = await conn.fetchval(
            "SELECT 1 FROM incident_events"
            " WHERE tenant_id = $3 AND incident_id = $1 AND source_event_id = $2",
            result.incident_id,
            result.event_id,
            result.tenant_id,
        )
        if seen:
            return 0
        incident = mapping.incident_from_row(rows[0])
        entry = append(
            incident,
            TimelineEntryType.EXPORTED,
            result.occurred_at,
            result.event_id,
            exported_data(result),
        )
        await conn.execute(
            "UPDATE incidents SET timeline_length = $2, timeline_head = $3, updated_at = $4"
            " WHERE tenant_id = $5 AND incident_id = $1",
            incident.incident_id,
            incident.timeline_length,
            incident.timeline_head,
            incident.updated_at,
            incident.tenant_id,
        )
        await incident_store.insert_timeline(conn, [mapping.timeline_row(entry)])
        await outbox.add(conn, [mapping.change_message(entry, self._changes_topic)])
        return 1
