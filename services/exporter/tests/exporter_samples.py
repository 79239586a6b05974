"""Incident rows shaped like the ingest tables, for exporter tests and the benchmark.

``sample_rows`` builds one incident with a hash-chained timeline, its killswitch events and the
billed steps of its run; ``insert_rows`` writes them with asyncpg (tests arrange data with SQL).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from guard_contracts.chain import link_hash

BASE_TIME = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@dataclass
class SampleRows:
    incident: dict[str, Any]
    timeline: list[dict[str, Any]]
    events: list[dict[str, Any]]
    steps: list[dict[str, Any]]
    similar: list[dict[str, Any]] = field(default_factory=list)
    spend: list[dict[str, Any]] = field(default_factory=list)
    extra_incidents: list[dict[str, Any]] = field(default_factory=list)


def _chain(rows: list[dict[str, Any]]) -> None:
    prev: str | None = None
    for row in rows:
        entry = {
            "sequence": row["sequence"],
            "entry_type": row["entry_type"],
            "occurred_at": row["occurred_at"].isoformat(),
            "source_event_id": str(row["source_event_id"]) if row["source_event_id"] else None,
            "data": row["data"],
        }
        row["prev_hash"] = prev
        row["hash"] = prev = link_hash(prev, entry)


def _killswitch(
    tenant_id: str, incident_id: uuid.UUID, i: int, at: datetime, action: str
) -> dict[str, Any]:
    event_id = uuid.uuid5(incident_id, f"ks-{i}")
    payload = {
        "event_id": str(event_id),
        "event_type": "killswitch.triggered",
        "tenant_id": tenant_id,
        "occurred_at": at.isoformat(),
        "killswitch_id": f"ks-{i}",
        "trigger_type": "budget_breach",
        "action": action,
        "run_id": "run-42",
        "agent_id": "agent-billing",
        "policy_id": "policy-daily-cap",
        "calls_affected": 3,
        "cost_delta_usd": "1.25",
    }
    return {
        "tenant_id": tenant_id,
        "event_id": event_id,
        "event_type": "killswitch.triggered",
        "occurred_at": at,
        "killswitch_id": f"ks-{i}",
        "trigger_type": "budget_breach",
        "action": action,
        "run_id": "run-42",
        "agent_id": "agent-billing",
        "policy_id": "policy-daily-cap",
        "rule": "daily spend > $500",
        "reason": "daily budget exceeded",
        "actor_id": None,
        "calls_affected": 3,
        "cost_delta_micros": 1_250_000,
        "error_rate": None,
        "severity": None,
        "evidence": None,
        "incident_id": incident_id,
        "raw": orjson.dumps(payload),
    }


def _timeline(
    tenant_id: str,
    incident_id: uuid.UUID,
    events: list[dict[str, Any]],
    end: list[tuple[str, datetime, dict[str, Any]]],
) -> list[dict[str, Any]]:
    rows = []
    for i, event in enumerate(events):
        rows.append(
            {
                "incident_id": incident_id,
                "tenant_id": tenant_id,
                "sequence": i + 1,
                "entry_type": "created" if i == 0 else "event_attached",
                "occurred_at": event["occurred_at"],
                "source_event_id": event["event_id"],
                "data": {
                    "event": {
                        "killswitch_id": event["killswitch_id"],
                        "action": event["action"],
                        "trigger_type": event["trigger_type"],
                        "calls_affected": event["calls_affected"],
                        "cost_delta_usd": "1.25",
                    }
                },
            }
        )
    for entry_type, at, data in end:
        rows.append(
            {
                "incident_id": incident_id,
                "tenant_id": tenant_id,
                "sequence": len(rows) + 1,
                "entry_type": entry_type,
                "occurred_at": at,
                "source_event_id": None,
                "data": data,
            }
        )
    _chain(rows)
    return rows


def sample_rows(
    tenant_id: str,
    *,
    n_timeline: int = 12,
    n_steps: int = 20,
    demonstrating: bool = True,
    base: datetime = BASE_TIME,
) -> SampleRows:
    """``demonstrating``: acked, contained (stopped) and released — every control shown. Otherwise
    only alerted, never acknowledged, auto-resolved — none shown beyond detection."""
    incident_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant_id}:{n_timeline}:{demonstrating}")
    action = "stopped" if demonstrating else "alerted"
    n_events = max(n_timeline - 3, 1) if demonstrating else max(n_timeline - 1, 1)
    events = [
        _killswitch(tenant_id, incident_id, i, base + timedelta(seconds=5 * i), action)
        for i in range(n_events)
    ]
    last = events[-1]["occurred_at"]
    if demonstrating:
        acked_at, resolved_at = base + timedelta(minutes=3), last + timedelta(minutes=20)
        end = [
            (
                "severity_escalated",
                base + timedelta(seconds=30),
                {"from": "high", "to": "critical"},
            ),
            ("acknowledged", acked_at, {"actor_id": "alice@example.com"}),
            (
                "resolved",
                resolved_at,
                {"resolution_method": "released", "resolved_by": "alice@example.com"},
            ),
        ]
    else:
        acked_at, resolved_at = None, last + timedelta(seconds=900)
        end = [
            (
                "auto_resolved",
                resolved_at,
                {"resolution_method": "auto", "resolved_by": "system_auto_resolve"},
            )
        ]
    timeline = _timeline(tenant_id, incident_id, events, end)
    steps = [
        {
            "tenant_id": tenant_id,
            "event_id": uuid.uuid5(incident_id, f"step-{i}"),
            "occurred_at": base - timedelta(minutes=10) + timedelta(milliseconds=50 * i),
            "run_id": "run-42",
            "step_index": i,
            "agent_id": "agent-billing",
            "user_id": "user-7",
            "feature_tag": "invoices",
            "model": "claude-sonnet-4",
            "provider": "anthropic",
            "input_tokens": 1200 + i,
            "output_tokens": 300,
            "cost_micros": 12_345,
            "duration_ms": 850,
            "status": "ok",
        }
        for i in range(n_steps)
    ]
    incident = {
        "incident_id": incident_id,
        "tenant_id": tenant_id,
        "lifecycle_state": "RESOLVED",
        "severity": "critical" if demonstrating else "medium",
        "category": "BUDGET_EXCEEDED",
        "cause_type": "LLM_RUN",
        "title": "Daily budget breached by agent-billing",
        "description": "The billing agent exceeded its daily budget of $500 & kept calling <models>.",
        "source_type": "killswitch",
        "fingerprint": "budget_breach|policy-daily-cap|agent-billing",
        "llm_run_id": "run-42",
        "affected_agent_id": "agent-billing",
        "policy_id": "policy-daily-cap",
        "trigger_type": "budget_breach",
        "calls_affected": 3 * n_events,
        "event_count": n_events,
        "cost_impact_micros": 1_250_000 * n_events,
        "error_code": None,
        "error_message": None,
        "created_at": base,
        "first_event_at": base,
        "last_event_at": last,
        "acked_at": acked_at,
        "acked_by": "alice@example.com" if acked_at else None,
        "resolved_at": resolved_at,
        "resolved_by": "alice@example.com" if demonstrating else "system_auto_resolve",
        "resolution_method": "released" if demonstrating else "auto",
        "recurrence_of": None,
        "is_synthetic": False,
        "contained_at": base if demonstrating else None,
        "timeline_length": len(timeline),
        "timeline_head": timeline[-1]["hash"],
        "updated_at": resolved_at,
    }
    # The run's billed calls, as the spend query would return them (finer than any bucket).
    spend = [{"start": s["occurred_at"], "cost_micros": s["cost_micros"]} for s in steps]
    similar = [
        {
            "incident_id": uuid.uuid5(incident_id, f"similar-{i}"),
            "fingerprint": incident["fingerprint"],
            "category": "BUDGET_EXCEEDED",
            "resolution_method": "released" if i < 2 else "rollback",
            "created_at": base - timedelta(days=10 + i),
            "resolved_at": base - timedelta(days=10 + i) + timedelta(minutes=35 + 10 * i),
        }
        for i in range(3)
    ]
    return SampleRows(incident, timeline, events, steps, similar, spend)


def as_incident_data(rows: SampleRows, *, with_learnings: bool = True) -> Any:
    from guard_exporter.adapters.loading import assemble

    return assemble(
        rows.incident,
        rows.timeline,
        rows.events,
        rows.steps,
        rows.similar if with_learnings else [],
        rows.spend if with_learnings else [],
    )


def _similar_incident_rows(rows: SampleRows) -> list[dict[str, Any]]:
    out = []
    for s in rows.similar:
        incident = dict(rows.incident)
        incident.update(
            incident_id=s["incident_id"],
            resolution_method=s["resolution_method"],
            created_at=s["created_at"],
            first_event_at=s["created_at"],
            last_event_at=s["created_at"],
            resolved_at=s["resolved_at"],
            updated_at=s["resolved_at"],
            contained_at=None,
            timeline_length=0,
            timeline_head=None,
        )
        out.append(incident)
    return out


async def insert_rows(conn: Any, rows: SampleRows) -> None:
    """Write the sample as ingest would have (plus similar resolved incidents and raw spend)."""
    incidents = [rows.incident, *_similar_incident_rows(rows)]
    await _copy(conn, "incidents", incidents)
    timeline = [{**r, "data": orjson.dumps(r["data"]).decode()} for r in rows.timeline]
    await conn.executemany(
        "INSERT INTO incident_events (incident_id, sequence, tenant_id, entry_type, occurred_at,"
        " source_event_id, data, prev_hash, hash) VALUES ($1,$2,$3,$4,$5,$6,$7::jsonb,$8,$9)",
        [
            (
                r["incident_id"],
                r["sequence"],
                r["tenant_id"],
                r["entry_type"],
                r["occurred_at"],
                r["source_event_id"],
                r["data"],
                r["prev_hash"],
                r["hash"],
            )
            for r in timeline
        ],
    )
    await _copy(
        conn,
        "killswitch_events",
        [{k: v for k, v in e.items() if k != "evidence"} for e in rows.events],
    )
    await _copy(conn, "cost_events", rows.steps)


async def _copy(conn: Any, table: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    columns = list(rows[0])
    await conn.copy_records_to_table(
        table, records=[tuple(r[c] for c in columns) for r in rows], columns=columns
    )
