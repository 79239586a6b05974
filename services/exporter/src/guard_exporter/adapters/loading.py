"""Driver rows → engine records: one consistent read of everything an export needs."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from guard_contracts.enums import ExportKind
from guard_exporter.drivers.incident_reader import IncidentReader
from guard_exporter.engines.debrief import chart_window
from guard_exporter.engines.records import (
    ExportSpec,
    IncidentData,
    IncidentRecord,
    RunStep,
    SimilarIncident,
    SourceEvent,
    SpendBucket,
    TimelineRow,
)

R = TypeVar("R")


@functools.cache
def _field_names(cls: Any) -> tuple[str, ...]:
    if hasattr(cls, "_fields"):  # a NamedTuple
        return tuple(cls._fields)
    return tuple(f.name for f in dataclasses.fields(cls))


def record_from(cls: type[R], row: Mapping[str, Any]) -> R:
    """Build a record from a row, ignoring columns the record does not use."""
    names: tuple[str, ...] = _field_names(cast("Any", cls))
    return cls(*[row[name] for name in names])


_record = record_from


class IncidentNotFound(LookupError):
    pass


async def load_incident_data(
    reader: IncidentReader, spec: ExportSpec, *, max_run_steps: int
) -> IncidentData:
    async with reader.snapshot() as snap:
        row = await snap.incident(spec.tenant_id, spec.incident_id)
        if row is None:
            raise IncidentNotFound(f"incident {spec.incident_id} does not exist for this tenant")
        incident = _record(IncidentRecord, row)
        timeline = await snap.timeline(spec.tenant_id, spec.incident_id)
        events = await snap.killswitch_events(spec.tenant_id, spec.incident_id)
        run_ids = {e["run_id"] for e in events if e["run_id"]}
        if incident.llm_run_id:
            run_ids.add(incident.llm_run_id)
        steps = await snap.run_steps(spec.tenant_id, run_ids, max_run_steps)
        similar: list[dict[str, Any]] = []
        spend: list[dict[str, Any]] = []
        if spec.kind is ExportKind.EXECUTIVE_DEBRIEF:
            similar = await snap.similar_candidates(
                spec.tenant_id, spec.incident_id, incident.fingerprint, incident.category
            )
            window = chart_window(incident, spec.requested_at)
            if window is not None:
                spend = await snap.spend_buckets(
                    spec.tenant_id,
                    run_id=window.scope_id if window.scope == "run" else None,
                    agent_id=window.scope_id if window.scope == "agent" else None,
                    start=window.start,
                    end=window.end,
                    bucket=window.bucket,
                )
    return assemble(incident, timeline, events, steps, similar, spend)


def assemble(
    incident: IncidentRecord | dict[str, Any],
    timeline: list[dict[str, Any]],
    events: list[dict[str, Any]],
    steps: list[dict[str, Any]],
    similar: list[dict[str, Any]],
    spend: list[dict[str, Any]],
) -> IncidentData:
    """Driver rows → the records the renderers take."""
    record = incident if isinstance(incident, IncidentRecord) else _record(IncidentRecord, incident)
    return IncidentData(
        incident=record,
        timeline=tuple(_record(TimelineRow, r) for r in timeline),
        events=tuple(_record(SourceEvent, r) for r in events),
        run_steps=tuple(_record(RunStep, r) for r in steps),
        similar=tuple(_record(SimilarIncident, r) for r in similar),
        spend=tuple(SpendBucket(r["start"], int(r["cost_micros"])) for r in spend),
    )
