"""The ``exported`` timeline entry: ingest appends it from export results (docs/exports.md)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from guard_contracts.chain import verify_chain
from guard_contracts.topics import Topics
from guard_contracts.wire import DlqHeader
from guard_devtools.services import RunningIngest, eventually
from guard_ingest.adapters import exported

from .ingest_kafka_helpers import produce, read_topic, trigger

pytestmark = pytest.mark.integration


def _result(
    tenant: str, incident_id: Any, status: str = "completed", **extra: Any
) -> dict[str, Any]:
    export_id = str(uuid.uuid4())
    return {
        "event_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{export_id}:{status}")),
        "event_type": "export.result",
        "tenant_id": tenant,
        "occurred_at": datetime.now(UTC).isoformat(),
        "export_id": export_id,
        "incident_id": str(incident_id) if incident_id else None,
        "kind": "soc2",
        "format": "pdf",
        "status": status,
        "sha256": "ab" * 32 if status == "completed" else None,
        "size_bytes": 1234,
        "requested_by": "auditor@example.com",
    } | extra


async def _open_incident(
    kafka_bootstrap: str, topics: Topics, db: asyncpg.Connection[Any], tenant_id: str
) -> Any:
    """The id of an incident a killswitch event opened for ``tenant_id``."""
    await produce(kafka_bootstrap, topics.killswitch_events, [trigger(tenant_id)], tenant_id)
    incident = await eventually(
        lambda: db.fetchrow("SELECT * FROM incidents WHERE tenant_id = $1", tenant_id),
        lambda row: row is not None,
    )
    return incident["incident_id"]


async def _bad_then_good(
    kafka_bootstrap: str,
    topics: Topics,
    db: asyncpg.Connection[Any],
    tenant_id: str,
    incident_id: Any,
    bad: dict[str, Any] | bytes,
) -> Any:
    """Publish ``bad`` then a good result: only the good one is exported; the dead letter."""
    good = _result(tenant_id, incident_id)
    await produce(kafka_bootstrap, topics.export_results, [bad, good], tenant_id)
    rows = await eventually(
        lambda: db.fetch(
            "SELECT data FROM incident_events WHERE incident_id = $1 AND entry_type = 'exported'",
            incident_id,
        ),
        lambda rows: len(rows) >= 1,
    )
    assert [json.loads(r["data"])["export_id"] for r in rows] == [good["export_id"]]
    (letter,) = await read_topic(kafka_bootstrap, topics.dlq, tenant_id, 1)
    return letter


async def test_a_completed_export_appends_one_exported_entry_to_the_chain(
    ingest_service: RunningIngest,
    kafka_bootstrap: str,
    topics: Topics,
    db: asyncpg.Connection[Any],
    tenant_id: str,
) -> None:
    incident_id = await _open_incident(kafka_bootstrap, topics, db, tenant_id)
    done = _result(tenant_id, incident_id)
    failed = _result(tenant_id, incident_id, status="failed", error="boom")
    audit = _result(tenant_id, None, kind="audit_period", format="zip")
    other_tenant = _result(f"{tenant_id}-x", incident_id)
    # The completed result twice (a redelivery) and three that must add nothing.
    await produce(
        kafka_bootstrap, topics.export_results, [done, failed, audit, other_tenant, done], tenant_id
    )
    rows = await eventually(
        lambda: db.fetch(
            "SELECT * FROM incident_events WHERE incident_id = $1 ORDER BY sequence",
            incident_id,
        ),
        lambda rows: any(r["entry_type"] == "exported" for r in rows),
    )
    exported = [r for r in rows if r["entry_type"] == "exported"]
    assert len(exported) == 1
    assert json.loads(exported[0]["data"]) == {
        "export_id": done["export_id"],
        "kind": "soc2",
        "format": "pdf",
        "requested_by": "auditor@example.com",
        "sha256": "ab" * 32,
        "size_bytes": 1234,
    }
    assert str(exported[0]["source_event_id"]) == done["event_id"]
    head = await db.fetchrow(
        "SELECT timeline_head, timeline_length FROM incidents WHERE incident_id = $1",
        incident_id,
    )
    links = [
        (
            {
                "sequence": r["sequence"],
                "entry_type": r["entry_type"],
                "occurred_at": r["occurred_at"].isoformat(),
                "source_event_id": str(r["source_event_id"]) if r["source_event_id"] else None,
                "data": json.loads(r["data"]),
            },
            r["prev_hash"],
            r["hash"],
        )
        for r in rows
    ]
    verdict = verify_chain(
        links, expected_head=head["timeline_head"], expected_length=head["timeline_length"]
    )
    assert verdict.verified, verdict.problems
    changes = await read_topic(
        kafka_bootstrap, topics.incident_changes, tenant_id, expected=len(rows)
    )
    assert "exported" in {json.loads(c.value)["change_type"] for c in changes}


@pytest.mark.parametrize(
    "hostile",
    [{"requested_by": "audi\u0000tor"}, {"sha256": "ab\u0000"}, {"size_bytes": 2**64 - 1},
     {"occurred_at": "0001-01-01T00:00:00+01:00"}],
    ids=["nul_requested_by", "nul_sha256", "size_beyond_bigint", "instant_before_year_1"],
)  # fmt: skip
async def test_a_result_the_database_cannot_store_is_dead_lettered_and_the_next_one_applied(
    ingest_service: RunningIngest,
    kafka_bootstrap: str,
    topics: Topics,
    db: asyncpg.Connection[Any],
    tenant_id: str,
    hostile: dict[str, Any],
) -> None:
    """Fuzzing finding: such a result decoded, then failed the transaction of its batch on
    every delivery, so the export-results consumer never got past it."""
    incident_id = await _open_incident(kafka_bootstrap, topics, db, tenant_id)
    bad = json.dumps(_result(tenant_id, incident_id, **hostile)).encode()
    letter = await _bad_then_good(kafka_bootstrap, topics, db, tenant_id, incident_id, bad)
    assert letter.value == bad
    assert dict(letter.headers)[DlqHeader.ERROR_CODE.value] == b"schema_violation"


async def test_a_result_that_keeps_failing_is_isolated_not_redelivered_for_ever(
    ingest_service: RunningIngest,
    kafka_bootstrap: str,
    topics: Topics,
    db: asyncpg.Connection[Any],
    tenant_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Any other failure of one result (a bug, a constraint) is isolated like an incident
    batch's: dead-lettered as processing_failed, and the consumer moves on."""
    original = exported.append

    def explode_on_boom(incident: Any, kind: Any, at: Any, source: Any, data: Any) -> Any:
        if data["requested_by"] == "boom":
            raise RuntimeError("simulated timeline bug")
        return original(incident, kind, at, source, data)

    monkeypatch.setattr(exported, "append", explode_on_boom)
    incident_id = await _open_incident(kafka_bootstrap, topics, db, tenant_id)
    bad = _result(tenant_id, incident_id, requested_by="boom")
    letter = await _bad_then_good(kafka_bootstrap, topics, db, tenant_id, incident_id, bad)
    assert json.loads(letter.value)["export_id"] == bad["export_id"]
    assert dict(letter.headers)[DlqHeader.ERROR_CODE.value] == b"processing_failed"
