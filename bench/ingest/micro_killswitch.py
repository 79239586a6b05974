"""In-process micro-benchmark of ingest's killswitch path (not a test). From the repository root:

    flock /tmp/bench.lock .venv/bin/python bench/ingest/micro_killswitch.py [--events 100000]
        [--batch 2000] [--repeat 5] [--profile]

No Kafka, no PostgreSQL. The killswitch events of the benchmark's workload (``mixed_workload``,
the same seed and Zipf tenants as ``bench_ingest.py``, ~10 % of ``--events``) are decoded once,
then timed per event, in batches of ``--batch`` (the service's ``incident_max_records``), through
what ``apply_incident_batch`` does between its queries: seed an :class:`IncidentBook` from the
incident rows a batch touches (kept in a dict standing in for the ``incidents`` table), apply the
events, build the incident rows, timeline rows, outbox rows (IncidentChanged JSON) and
``killswitch_events`` rows. Separately: the outbox relay's partitioner (aiokafka's default,
murmur2 of the tenant key) for every outbox row, as the producer computes it per message.

Prints CPU time per killswitch event (each batch's best of ``--repeat`` passes, summed) and a SHA-256 over every row and
message built, so two checkouts can be compared for identical output: run it with
``PYTHONPATH`` pointing at another checkout's ``src`` directories to time that one.
``--profile`` prints the top of a cProfile of one pass instead.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import pstats
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import ConsumerRecord
from aiokafka.partitioner import DefaultPartitioner

from guard_contracts.events import KillswitchReleased, KillswitchTriggered
from guard_contracts.wire import decode_event
from guard_devtools.services import mixed_workload
from guard_ingest.adapters import incident_batch, mapping
from guard_ingest.drivers.incidents import INCIDENT_COLUMNS
from guard_ingest.engines import rules
from guard_ingest.engines.book import IncidentBook
from guard_ingest.engines.model import EngineConfig

TOPIC = "killswitch"
CHANGES = "incident-changes"
PARTITIONS = list(range(12))


def workload(events: int, tenants: int) -> list[tuple[ConsumerRecord[Any, Any], Any]]:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    work = mixed_workload(events, tenants=tenants, span=timedelta(minutes=8), start=start)
    items = []
    for offset, (_kind, tenant, raw) in enumerate(m for m in work.messages if m[0] == "killswitch"):
        record: ConsumerRecord[Any, Any] = ConsumerRecord(
            TOPIC, 0, offset, 0, 0, tenant.encode(), raw, None, len(tenant), len(raw), ()
        )
        items.append((record, decode_event(raw)))
    return items


class Store:
    """The incidents table and the killswitch index, as rows, between batches."""

    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, tuple[Any, ...]] = {}
        self.by_fingerprint: dict[tuple[str, str], list[uuid.UUID]] = defaultdict(list)
        self.killswitches: dict[tuple[str, str], uuid.UUID] = {}
        self.opened: dict[tuple[str, datetime], int] = defaultdict(int)

    def seed(self, items: list[tuple[ConsumerRecord[Any, Any], Any]]) -> IncidentBook:
        """What ``incident_batch._seed`` loads, without the queries."""
        ids: set[uuid.UUID] = set()
        hours: set[tuple[str, datetime]] = set()
        index = {}
        overflow: dict[datetime, str] = {}
        for _, e in items:
            if isinstance(e, KillswitchTriggered):
                hour = rules.hour_start(e.occurred_at)
                if hour not in overflow:
                    overflow[hour] = rules.overflow_fingerprint(hour)
                ids.update(self.matching((e.tenant_id, rules.killswitch_fingerprint(e))))
                ids.update(self.matching((e.tenant_id, overflow[hour])))
                hours.add((e.tenant_id, hour))
            elif isinstance(e, KillswitchReleased):
                key = (e.tenant_id, e.killswitch_id)
                if key in self.killswitches:
                    index[key] = self.killswitches[key]
                    ids.add(self.killswitches[key])
        rows = [dict(zip(INCIDENT_COLUMNS, self.rows[i], strict=True)) for i in sorted(ids)]
        opened = {h: self.opened[h] for h in hours if self.opened.get(h)}
        incidents = [mapping.incident_from_row(r) for r in rows]
        return IncidentBook(EngineConfig(), incidents, index, opened)

    def matching(self, key: tuple[str, str]) -> list[uuid.UUID]:
        """``ids_by_fingerprint``: the open incidents of the key plus its latest one."""
        ids = self.by_fingerprint.get(key, [])
        state = INCIDENT_COLUMNS.index("lifecycle_state")
        found = [i for i in ids if self.rows[i][state] != "RESOLVED"]
        return found + ids[-1:]

    def write(self, book: IncidentBook, rows: list[tuple[Any, ...]]) -> None:
        for incident, row in zip(book.changed, rows, strict=True):
            if incident.incident_id not in self.rows:
                self.by_fingerprint[(incident.tenant_id, incident.fingerprint)].append(
                    incident.incident_id
                )
                if not incident.is_overflow:
                    self.opened[(incident.tenant_id, rules.hour_start(incident.created_at))] += 1
            self.rows[incident.incident_id] = row
        self.killswitches.update(book.killswitch_index)


def one_pass(
    items: list[tuple[ConsumerRecord[Any, Any], Any]], batch: int
) -> tuple[list[float], str]:
    """CPU seconds per batch for the whole killswitch path, and a digest of what it built."""
    store = Store()
    digest = hashlib.sha256()
    spent: list[float] = []
    for i in range(0, len(items), batch):
        chunk = items[i : i + batch]
        started = time.process_time()
        book = store.seed(chunk)
        writes = incident_batch.BatchWrites()
        for record, event in chunk:
            incident_batch._apply(book, record, event, writes)
        incident_rows = [mapping.incident_to_row(i) for i in book.changed]
        timeline_rows = [mapping.timeline_row(e) for e in book.entries]
        messages = [mapping.change_message(e, CHANGES) for e in book.entries]
        outbox_rows = [(key.decode(), topic, key, payload) for topic, key, payload in messages]
        spent.append(time.process_time() - started)
        store.write(book, incident_rows)
        for rows in (incident_rows, timeline_rows, writes.killswitch, outbox_rows):
            digest.update(repr(rows).encode())
        digest.update(repr(sorted(writes.counts.items())).encode())
        digest.update(repr([(d.reason, d.message) for d in writes.dead]).encode())
    return spent, digest.hexdigest()


def partitioner_pass(keys: list[bytes]) -> tuple[float, str]:
    try:  # the relay's own partitioner where the checkout has one (wip/ingest5 and later)
        from guard_ingest.drivers.outbox import partition as partitioner
    except ImportError:
        partitioner = DefaultPartitioner()
    started = time.process_time()
    chosen = [partitioner(key, PARTITIONS, PARTITIONS) for key in keys]
    return time.process_time() - started, hashlib.sha256(bytes(chosen)).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000, help="workload size (all types)")
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="tottime", help="cProfile sort key (--profile)")
    parser.add_argument("--top", type=int, default=30, help="rows printed (--profile)")
    args = parser.parse_args()
    items = workload(args.events, args.tenants)
    gc.freeze()  # like guard_ingest.main.tune_gc
    gc.set_threshold(50_000)
    n = len(items)
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(one_pass, items, args.batch)
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)
        return
    # Each batch's best time over the passes, summed: other processes on the shared CPUs slow
    # down some batches of every pass, rarely the same batch in all of them.
    passes = [one_pass(items, args.batch) for _ in range(args.repeat)]
    digests = {digest for _, digest in passes}
    assert len(digests) == 1, "the passes built different outputs"
    digest = digests.pop()
    best = sum(min(times) for times in zip(*(times for times, _ in passes), strict=True))
    keys = [e.tenant_id.encode() for _, e in items]
    part, part_digest = min(partitioner_pass(keys) for _ in range(args.repeat))
    print(f"killswitch events {n:,} in batches of {args.batch:,}: "
          f"{best / n * 1e6:.1f} µs per event (best of {args.repeat} per batch); "
          f"output sha256 {digest[:16]}")  # fmt: skip
    print(f"outbox partitioner: {part / n * 1e6:.2f} µs per key; sha256 {part_digest[:16]}")


if __name__ == "__main__":
    main()
