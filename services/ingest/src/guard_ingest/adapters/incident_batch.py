"""One batch of killswitch events, anomalies, commands and budgets: one transaction.

Load (and lock) what the batch can touch in a few queries, run the pure engine over the events in
partition order, then write everything back with bulk statements. Rejections become dead letters
that the caller publishes after the commit.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from aiokafka import ConsumerRecord
from guard_runtime.dlq import DeadLetter

from guard_contracts.events import (
    BudgetSet,
    CostAnomalyDetected,
    IncidentAcknowledge,
    IncidentResolve,
    KillswitchReleased,
    KillswitchTriggered,
)
from guard_contracts.topics import Topics
from guard_ingest.adapters import mapping
from guard_ingest.adapters.decoding import rejected
from guard_ingest.adapters.metrics import APPLIED, DUPLICATES, NOOPS
from guard_ingest.drivers import incidents as incident_store
from guard_ingest.drivers import outbox, watermarks
from guard_ingest.drivers import raw_events as raw_store
from guard_ingest.engines import rules
from guard_ingest.engines.book import IncidentBook
from guard_ingest.engines.model import EngineConfig, Outcome, OutcomeKind

Item = tuple[ConsumerRecord[Any, Any], Any]
Commands = IncidentAcknowledge | IncidentResolve


@dataclass(slots=True)
class BatchWrites:
    killswitch: list[tuple[Any, ...]] = field(default_factory=list)
    processed: list[tuple[Any, ...]] = field(default_factory=list)
    anomalies: list[tuple[Any, ...]] = field(default_factory=list)
    budgets: dict[tuple[str, str, str], BudgetSet] = field(default_factory=dict)
    dead: list[DeadLetter] = field(default_factory=list)
    #: (noop?, event_type) -> events, added to the metrics once per batch
    counts: Counter[tuple[bool, str]] = field(default_factory=Counter)


def _order(topics: Topics) -> dict[str, int]:
    # Incidents exist before the commands about them: killswitch events first, commands later.
    return {topics.killswitch_events: 0, topics.cost_anomalies: 1, topics.incident_commands: 2,
            topics.budgets: 3}  # fmt: skip


def _ledger(event: Any) -> str:
    if isinstance(event, KillswitchTriggered | KillswitchReleased):
        return "killswitch_events"
    if isinstance(event, CostAnomalyDetected):
        return "cost_anomalies"
    return "processed_events"


async def _fresh(conn: asyncpg.Connection[Any], items: list[Item]) -> list[Item]:
    """Drop duplicate event_ids: repeats inside the batch and events already applied."""
    seen: set[tuple[str, uuid.UUID]] = set()
    unique: list[Item] = []
    for record, event in items:
        key = (event.tenant_id, event.event_id)
        if key in seen:
            DUPLICATES.labels(event.event_type).inc()
            continue
        seen.add(key)
        unique.append((record, event))
    by_ledger: dict[str, list[tuple[str, uuid.UUID]]] = {
        "killswitch_events": [], "cost_anomalies": [], "processed_events": []}  # fmt: skip
    for _, e in unique:  # one pass, one _ledger test per event
        by_ledger[_ledger(e)].append((e.tenant_id, e.event_id))
    stored: set[tuple[str, uuid.UUID]] = set()
    for table, keys in by_ledger.items():
        stored |= await raw_store.existing_keys(conn, table, keys)
    fresh = []
    for record, event in unique:
        if (event.tenant_id, event.event_id) in stored:
            DUPLICATES.labels(event.event_type).inc()
        else:
            fresh.append((record, event))
    return fresh


async def _seed(
    conn: asyncpg.Connection[Any], items: list[Item], config: EngineConfig
) -> IncidentBook:
    fingerprints: set[tuple[str, str]] = set()
    hours: set[tuple[str, Any]] = set()
    killswitch_keys: set[tuple[str, str]] = set()
    ids: set[tuple[str, uuid.UUID]] = set()
    overflow: dict[Any, str] = {}  # hour -> its overflow fingerprint (one strftime per hour)
    for _, e in items:
        if isinstance(e, KillswitchTriggered):
            hour = rules.hour_start(e.occurred_at)
            if hour not in overflow:
                overflow[hour] = rules.overflow_fingerprint(hour)
            fingerprints.add((e.tenant_id, rules.killswitch_fingerprint(e)))
            fingerprints.add((e.tenant_id, overflow[hour]))
            hours.add((e.tenant_id, hour))
        elif isinstance(e, KillswitchReleased):
            killswitch_keys.add((e.tenant_id, e.killswitch_id))
        elif isinstance(e, CostAnomalyDetected):
            fingerprints.add((e.tenant_id, rules.anomaly_fingerprint(e)))
        elif isinstance(e, Commands):
            ids.add((e.tenant_id, e.incident_id))
    index = await raw_store.killswitch_index(conn, sorted(killswitch_keys))
    ids |= {(tenant_id, incident_id) for (tenant_id, _), incident_id in index.items()}
    ids |= set(await incident_store.ids_by_fingerprint(conn, sorted(fingerprints)))
    rows = await incident_store.lock_by_id(conn, sorted(ids))
    opened = await incident_store.opened_per_hour(conn, sorted(hours))
    return IncidentBook(config, [mapping.incident_from_row(r) for r in rows], index, opened)


def _apply(
    book: IncidentBook, record: ConsumerRecord[Any, Any], event: Any, w: BatchWrites
) -> Outcome:
    if isinstance(event, KillswitchTriggered):
        outcome = book.triggered(event)
    elif isinstance(event, KillswitchReleased):
        outcome = book.released(event)
    elif isinstance(event, CostAnomalyDetected):
        outcome = book.anomaly(event)
        w.anomalies.append(mapping.anomaly_row(event, outcome.incident_id))
    elif isinstance(event, IncidentAcknowledge):
        outcome = book.acknowledge(event)
    elif isinstance(event, IncidentResolve):
        outcome = book.resolve(event)
    else:
        assert isinstance(event, BudgetSet)
        key = (event.tenant_id, event.budget_type.value, event.entity_id)
        current = w.budgets.get(key)
        if current is None or current.occurred_at <= event.occurred_at:
            w.budgets[key] = event
        outcome = Outcome.applied(None)
    if outcome.kind is OutcomeKind.REJECTED:
        assert outcome.code is not None
        w.dead.append(rejected(record, outcome.code, outcome.message or ""))
        return outcome
    if isinstance(event, KillswitchTriggered | KillswitchReleased):
        raw = record.value or b""
        w.killswitch.append(
            mapping.killswitch_row(event, book.assignments.get(event.event_id), raw)
        )
    elif _ledger(event) == "processed_events":
        w.processed.append((event.tenant_id, event.event_id, event.event_type, event.occurred_at,
                            outcome.kind.value))  # fmt: skip
    w.counts[(outcome.kind is OutcomeKind.NOOP, event.event_type)] += 1
    return outcome


async def apply_incident_batch(
    conn: asyncpg.Connection[Any],
    items: Sequence[Item],
    topics: Topics,
    config: EngineConfig,
) -> list[DeadLetter]:
    """Apply inside the caller's transaction; return the rejections for the DLQ."""
    order = _order(topics)
    ordered = sorted(items, key=lambda item: order.get(item[0].topic, 9))
    fresh = await _fresh(conn, ordered)
    book = await _seed(conn, fresh, config)
    writes = BatchWrites()
    for record, event in fresh:
        _apply(book, record, event, writes)
    for (noop, event_type), n in writes.counts.items():
        (NOOPS if noop else APPLIED).labels(event_type).inc(n)
    await write_book(conn, book, topics.incident_changes)
    await raw_store.insert_killswitch_events(conn, writes.killswitch)
    await raw_store.insert_processed(conn, writes.processed)
    await incident_store.insert_anomalies(conn, writes.anomalies)
    await incident_store.upsert_budgets(
        conn, [mapping.budget_row(b) for b in writes.budgets.values()]
    )
    # Every valid event moves its tenant's stream time, duplicates and rejections included: the
    # stream time is a function of the events, not of how they were cut into batches.
    await watermarks.advance(conn, stream_times(items))
    return writes.dead


def stream_times(items: Sequence[Item]) -> list[watermarks.Row]:
    """(tenant, topic, partition, latest occurred_at) over the batch's events."""
    latest: dict[tuple[str, str], tuple[int, Any]] = {}
    for record, event in items:
        key = (event.tenant_id, record.topic)
        current = latest.get(key)
        if current is None or current[1] < event.occurred_at:
            latest[key] = (record.partition, event.occurred_at)
    return [(tenant, topic, p, at) for (tenant, topic), (p, at) in latest.items()]


async def write_book(conn: asyncpg.Connection[Any], book: IncidentBook, changes_topic: str) -> None:
    """Changed incidents, their new timeline entries, and one outbox message per entry."""
    await incident_store.upsert_incidents(conn, [mapping.incident_to_row(i) for i in book.changed])
    await incident_store.insert_timeline(conn, [mapping.timeline_row(e) for e in book.entries])
    await outbox.add(conn, [mapping.change_message(e, changes_topic) for e in book.entries])
