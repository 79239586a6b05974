"""The audit-period export use case: stream the period's incidents into a signed ZIP on disk.

Memory stays flat (docs/exports.md): incidents arrive one at a time from a server-side cursor,
each is verified, tallied and appended to four spooled files (hashed as they are written); the
summary PDF is rendered from the tally; the ZIP is assembled from the files 1 MiB at a time.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from guard_contracts.events import AuditPeriodExportRequested
from guard_exporter.adapters.loading import record_from
from guard_exporter.drivers.period_reader import TIMELINE_FIELDS, PeriodReader
from guard_exporter.drivers.spool import SpoolDirectory, write_zip
from guard_exporter.engines.audit_period import (
    AUDIT_FORMAT,
    CSV_COLUMNS,
    INCIDENTS_CSV,
    INCIDENTS_JSONL,
    PROOFS_JSONL,
    SUMMARY_PDF,
    TIMELINES_JSONL,
    AuditSpec,
    PeriodTally,
    csv_line,
    incident_lines,
    tally_view,
)
from guard_exporter.engines.bundle import MANIFEST, bundle_hash, encode_file, sign_manifest
from guard_exporter.engines.keys import is_development_key, key_id
from guard_exporter.engines.pdf_period import render_period_summary
from guard_exporter.engines.records import IncidentRecord, TimelineRow
from guard_exporter.engines.serialize import iso

assert TimelineRow._fields == TIMELINE_FIELDS, "the reader's row order is TimelineRow's"
#: Yield to the event loop this often, so health checks answer during a long export.
_YIELD_EVERY = 500
_SORTED = orjson.OPT_SORT_KEYS


def audit_spec_from(event: AuditPeriodExportRequested) -> AuditSpec:
    filters = {k: [str(v) for v in vs] for k, vs in event.filters.model_dump().items() if vs}
    return AuditSpec(
        export_id=event.export_id,
        tenant_id=event.tenant_id,
        period_from=event.period_from,
        period_to=event.period_to,
        filters=filters,
        requested_by=event.requested_by,
        requested_at=event.occurred_at,
        export_reason=event.export_reason,
        prepared_for=event.prepared_for,
    )


@dataclass(frozen=True, slots=True)
class AuditArtifact:
    path: Path
    sha256: str
    size_bytes: int
    incidents: int


def _zip_and_hash(target: Path, members: list[tuple[str, Path | bytes]]) -> tuple[str, int]:
    target.parent.mkdir(parents=True, exist_ok=True)
    write_zip(target, members)
    digest = hashlib.sha256()
    with target.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest(), target.stat().st_size


async def render_audit_period(
    reader: PeriodReader,
    spec: AuditSpec,
    key: Ed25519PrivateKey,
    target: Path,
    spool_root: Path | None = None,
) -> AuditArtifact:
    """Write the signed audit ZIP to ``target`` and describe it."""
    spools = SpoolDirectory(spool_root)
    try:
        csv_file = spools.spool(INCIDENTS_CSV)
        incidents = spools.spool(INCIDENTS_JSONL)
        timelines = spools.spool(TIMELINES_JSONL)
        proofs = spools.spool(PROOFS_JSONL)
        csv_file.write(csv_line(CSV_COLUMNS))
        tally = PeriodTally()
        stream = reader.incidents(spec.tenant_id, spec.period_from, spec.period_to, spec.filters)
        async for row, timeline_rows in stream:
            lines = incident_lines(
                record_from(IncidentRecord, row),
                tuple(TimelineRow(*r) for r in timeline_rows),
                tally,
                spec.requested_at,
            )
            csv_file.write(csv_line(lines.csv_row))
            incidents.write(orjson.dumps(lines.incident, option=_SORTED) + b"\n")
            timelines.write(
                b"".join(orjson.dumps(t, option=_SORTED) + b"\n" for t in lines.timeline)
            )
            proofs.write(orjson.dumps(lines.proof, option=_SORTED) + b"\n")
            if tally.incidents % _YIELD_EVERY == 0:
                await asyncio.sleep(0)
        data = [csv_file, incidents, timelines, proofs]
        for spool in data:
            spool.close()
        listing = [{"name": s.name, "sha256": s.sha256, "size_bytes": s.size_bytes} for s in data]
        data_sha256 = bundle_hash(listing)
        development = is_development_key(key.public_key())
        summary = await asyncio.to_thread(
            render_period_summary,
            spec,
            tally,
            listing,
            data_sha256,
            key_id(key.public_key()),
            development=development,
        )
        listing.append(
            {
                "name": SUMMARY_PDF,
                "sha256": hashlib.sha256(summary).hexdigest(),
                "size_bytes": len(summary),
            }
        )
        manifest = sign_manifest(_manifest(spec, listing, data_sha256, tally), key)
        members: list[tuple[str, Path | bytes]] = [(s.name, s.path) for s in data]
        members += [(SUMMARY_PDF, summary), (MANIFEST, encode_file(MANIFEST, manifest))]
        sha256, size = await asyncio.to_thread(_zip_and_hash, target, members)
        return AuditArtifact(target, sha256, size, tally.incidents)
    finally:
        spools.cleanup()


def _manifest(
    spec: AuditSpec, listing: list[dict[str, Any]], data_sha256: str, tally: PeriodTally
) -> dict[str, Any]:
    return {
        "format": AUDIT_FORMAT,
        "export_id": str(spec.export_id),
        "tenant_id": spec.tenant_id,
        "period_from": iso(spec.period_from),
        "period_to": iso(spec.period_to),
        "filters": spec.filters,
        "requested_by": spec.requested_by,
        "requested_at": iso(spec.requested_at),
        "export_reason": spec.export_reason,
        "prepared_for": spec.prepared_for,
        "files": listing,
        "data_sha256": data_sha256,
        "bundle_sha256": bundle_hash(listing),
        "summary": tally_view(tally),
    }
