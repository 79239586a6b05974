"""One entry point for every export: spec + data + signing key → artifact (docs/product/exports.md)."""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from guard_contracts.enums import ExportFormat, ExportKind
from guard_exporter.engines.advice import recommendations
from guard_exporter.engines.bundle import BUNDLE_WRITERS, build_bundle
from guard_exporter.engines.controls import evaluate_controls
from guard_exporter.engines.debrief import chart_window, response_times, summary
from guard_exporter.engines.keys import is_development_key
from guard_exporter.engines.pdf_debrief import render_debrief
from guard_exporter.engines.pdf_soc2 import render_soc2
from guard_exporter.engines.records import Artifact, ExportSpec, IncidentData
from guard_rules.learnings import learnings_for

CONTENT_TYPES = {
    ExportFormat.JSON: "application/json",
    ExportFormat.ZIP: "application/zip",
    ExportFormat.PDF: "application/pdf",
}


class RenderError(Exception):
    """The request cannot be rendered; recorded on the job as its error."""


def filename_for(spec: ExportSpec) -> str:
    """``evidence_<id>.zip``, ``soc2_<id>.pdf``, ``executive_debrief_<id>.pdf``."""
    return f"{spec.kind.value}_{spec.incident_id}.{spec.format.value}"


def render_content(spec: ExportSpec, data: IncidentData, key: Ed25519PrivateKey) -> bytes:
    if data.incident.incident_id != spec.incident_id:
        raise RenderError("the loaded incident is not the requested one")
    if spec.kind is ExportKind.EVIDENCE:
        bundle = build_bundle(spec, data, key)
        writer = BUNDLE_WRITERS.get(spec.format.value)
        if writer is None:
            raise RenderError(f"evidence cannot be rendered as {spec.format.value}")
        return writer(bundle)
    if spec.format is not ExportFormat.PDF:
        raise RenderError(f"{spec.kind.value} is rendered as pdf, not {spec.format.value}")
    development = is_development_key(key.public_key())
    if spec.kind is ExportKind.SOC2:
        bundle = build_bundle(spec, data, key)
        verified = bundle.integrity["verification_status"]
        controls = evaluate_controls(data, chain_verified=verified == "VERIFIED")
        return render_soc2(spec, data, bundle, controls, development=development)
    learned = learnings_for(data.incident, data.similar)
    as_of = spec.requested_at
    return render_debrief(
        spec,
        data,
        summary(data, as_of),
        response_times(data),
        learned,
        recommendations(data, learned, as_of),
        chart_window(data.incident, as_of),
        development=development,
    )


def render(spec: ExportSpec, data: IncidentData, key: Ed25519PrivateKey) -> Artifact:
    content = render_content(spec, data, key)
    return Artifact(
        content=content,
        content_type=CONTENT_TYPES[spec.format],
        filename=filename_for(spec),
        sha256=hashlib.sha256(content).hexdigest(),
        size_bytes=len(content),
    )
