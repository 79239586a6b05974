"""The SOC2 incident evidence report (docs/exports.md, "SOC2 report").

The timeline is the evidence: every entry's details are printed in full, wrapped in their column,
never cut. Unknown facts are left out instead of printed as placeholders.
"""

from __future__ import annotations

from typing import Any

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Table, TableStyle

from guard_exporter.engines.bundle import Bundle
from guard_exporter.engines.controls import DEMONSTRATED, PARTIAL, ControlResult
from guard_exporter.engines.fonts import SANS_BOLD
from guard_exporter.engines.pdf_common import (
    BAD,
    CONTENT_WIDTH,
    GOOD,
    STYLES,
    WARN,
    build_pdf,
    development_banner,
    grid_style,
    key_value_table,
    markup,
    para,
    spacer,
    text,
)
from guard_exporter.engines.phrasing import count
from guard_exporter.engines.records import ExportSpec, IncidentData, TimelineRow
from guard_exporter.engines.serialize import usd_display, when

#: Rows per timeline table: small tables split across pages in linear time, one huge one does not.
TIMELINE_CHUNK = 60
_TIMELINE_WIDTHS = (10 * mm, 30 * mm, 30 * mm)
_DETAIL_WIDTH = CONTENT_WIDTH - sum(_TIMELINE_WIDTHS)
_DETAIL_STYLE = ParagraphStyle("detail", parent=STYLES["small"], fontSize=7.5, leading=9.5)
#: The public key's address, said wherever the reader is told to verify.
SIGNING_KEY_PATH = "/api/v1/exports/signing-key"
_PRIORITY = (
    "action",
    "trigger_type",
    "severity",
    "previous_severity",
    "new_severity",
    "calls_affected",
    "cost_delta_usd",
    "run_id",
    "agent_id",
    "policy_id",
    "actor_id",
    "acked_by",
    "resolved_by",
    "resolution_method",
    "reason",
    "notes",
)


def _flatten(data: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update({k: v for k, v in value.items() if not isinstance(v, dict | list)})
        elif not isinstance(value, list):
            flat[key] = value
    return flat


def describe_entry(data: dict[str, Any]) -> str:
    """A one-line reading of a timeline entry's data: the telling fields first."""
    flat = {k: v for k, v in _flatten(data).items() if v is not None and v != ""}
    keys = [k for k in _PRIORITY if k in flat] + sorted(k for k in flat if k not in _PRIORITY)
    return "; ".join(f"{k}: {flat[k]}" for k in keys)


def _timeline_tables(rows: tuple[TimelineRow, ...]) -> list[Flowable]:
    header = ["Seq", "Time (UTC)", "Entry", "Details"]
    tables: list[Flowable] = []
    for start in range(0, len(rows), TIMELINE_CHUNK):
        body = [
            [
                str(r.sequence),
                r.occurred_at.strftime("%Y-%m-%d %H:%M:%S"),
                r.entry_type,
                Paragraph(text(describe_entry(r.data)), _DETAIL_STYLE),
            ]
            for r in rows[start : start + TIMELINE_CHUNK]
        ]
        table = Table([header, *body], colWidths=[*_TIMELINE_WIDTHS, _DETAIL_WIDTH], repeatRows=1)
        table.setStyle(TableStyle(grid_style(size=7)))
        tables.append(table)
    if not tables:
        tables.append(para("The timeline has no entries.", "muted"))
    return tables


def _controls_table(results: list[ControlResult]) -> Table:
    data: list[list[Any]] = [["Control", "Status", "Evidence from the incident data"]]
    style = grid_style()
    for i, r in enumerate(results, start=1):
        data.append(
            [
                markup(f"<b>{r.control_id}</b><br/>{text(r.title)}", "small"),
                r.status,
                para(r.reason, "small"),
            ]
        )
        colour = GOOD if r.status == DEMONSTRATED else WARN if r.status == PARTIAL else BAD
        style += [
            ("TEXTCOLOR", (1, i), (1, i), colour),
            ("FONT", (1, i), (1, i), SANS_BOLD, 8),
        ]
    table = Table(data, colWidths=[40 * mm, 38 * mm, CONTENT_WIDTH - 78 * mm], repeatRows=1)
    table.setStyle(
        TableStyle([*style, ("LINEBELOW", (0, 1), (-1, -1), 0.4, STYLES["muted"].textColor)])
    )
    return table


def _evidence_index(bundle: Bundle) -> Table:
    data: list[list[Any]] = [["File", "Bytes", "SHA-256"]]
    for f in bundle.manifest["files"]:
        data.append([f["name"], f"{f['size_bytes']:,}", para(f["sha256"], "mono")])
    table = Table(data, colWidths=[34 * mm, 22 * mm, CONTENT_WIDTH - 56 * mm])
    table.setStyle(TableStyle(grid_style()))
    return table


def _header(spec: ExportSpec, data: IncidentData) -> list[Flowable]:
    inc = data.incident
    period_end = when(inc.resolved_at) if inc.resolved_at else "open (not resolved)"
    source = [
        f"{label} {value}"
        for label, value in (
            ("trigger", inc.trigger_type),
            ("policy", inc.policy_id),
            ("agent", inc.affected_agent_id),
            ("run", inc.llm_run_id),
        )
        if value
    ]
    return [
        para("SOC 2 Incident Evidence Report", "title"),
        para(inc.title, "subtitle"),
        key_value_table(
            [
                ("Incident ID", inc.incident_id),
                ("Tenant", inc.tenant_id),
                ("Severity / state", f"{inc.severity} / {inc.lifecycle_state}"),
                ("Category / cause", f"{inc.category} / {inc.cause_type}"),
                ("Source", " · ".join(source) if source else None),
                ("Compliance period", f"{when(inc.first_event_at)} to {period_end}"),
                ("Prepared for", spec.prepared_for),
                ("Requested by", f"{spec.requested_by} at {when(spec.requested_at)}"),
                ("Reason", spec.export_reason),
                ("Export ID", spec.export_id),
            ]
        ),
    ]


def _details(data: IncidentData) -> Table:
    inc = data.incident
    acked = f"{when(inc.acked_at)}{f' by {inc.acked_by}' if inc.acked_by else ''}"
    resolved = when(inc.resolved_at)
    if inc.resolved_at and inc.resolved_by:
        resolved += f" by {inc.resolved_by}"
    if inc.resolved_at and inc.resolution_method:
        resolved += f" ({inc.resolution_method})"
    return key_value_table(
        [
            ("Description", inc.description),
            ("Calls affected", f"{inc.calls_affected:,}"),
            ("Signals recorded", f"{inc.event_count:,}"),
            ("Cost impact", f"${usd_display(inc.cost_impact_micros)}"),
            ("Created", when(inc.created_at)),
            ("Acknowledged", acked if inc.acked_at else None),
            ("Contained", when(inc.contained_at) or None),
            ("Resolved", resolved or None),
            ("Recurrence of", inc.recurrence_of),
        ]
    )


def _attestation(
    spec: ExportSpec, bundle: Bundle, chain: dict[str, Any], development: bool
) -> list[Flowable]:
    signature = bundle.manifest["signature"]
    key = text(signature["key_id"])
    statement = (
        "This report was generated by the Guard Incidents exporter from the incident's tamper-"
        "evident timeline and its recorded source events, without manual editing. The evidence "
        "bundle of this incident (incident.json, timeline.json, events.jsonl, run_steps.jsonl) has "
        f"the bundle hash below and is signed with Ed25519 key <b>{key}</b>. To check it: request "
        "the evidence bundle of this incident (ZIP), fetch the public key from "
        f"<font face='GuardMono'>GET {SIGNING_KEY_PATH}</font> (the entry with key_id {key}; save "
        "its public_key_pem as key.pem), then run "
        "<font face='GuardMono'>python -m guard_exporter.verify bundle.zip --public-key key.pem"
        "</font>; it also re-checks the timeline chain against the incident's recorded head."
    )
    if development:
        statement += (
            " <b>This key is the public development key: anyone can produce its signature, so "
            "this attestation proves nothing.</b>"
        )
    return [
        KeepTogether(
            [
                para("Attestation", "h1"),
                markup(statement),
                spacer(2),
                key_value_table(
                    [
                        ("Bundle SHA-256", bundle.bundle_sha256),
                        (
                            "Timeline integrity",
                            f"{chain['verification_status']} "
                            f"({count(chain['event_count'], 'entry')}, checked against the "
                            "incident's recorded head)",
                        ),
                        ("Timeline root hash", chain["root_hash"]),
                        ("Attested for", spec.prepared_for or spec.requested_by),
                        ("Attested at", when(spec.requested_at)),
                    ]
                ),
            ]
        )
    ]


def render_soc2(
    spec: ExportSpec,
    data: IncidentData,
    bundle: Bundle,
    controls: list[ControlResult],
    *,
    development: bool = False,
) -> bytes:
    chain = bundle.integrity
    problems = [para(f"Integrity problem: {p}", "small") for p in chain.get("problems", [])]
    story: list[Flowable] = [
        *development_banner(development),
        *_header(spec, data),
        para("Control assessment (CC7.2 – CC7.5)", "h1"),
        _controls_table(controls),
        para("Incident", "h1"),
        _details(data),
        KeepTogether([para("Evidence index", "h1"), _evidence_index(bundle)]),
        *_attestation(spec, bundle, chain, development),
        *problems,
        para(f"Timeline ({count(len(data.timeline), 'entry')})", "h1"),
        *_timeline_tables(data.timeline),
    ]
    return build_pdf(
        story,
        title=f"SOC 2 incident evidence report {data.incident.incident_id}",
        subject="SOC 2 CC7.2-CC7.5 incident evidence",
        footer_left=f"SOC 2 evidence · incident {data.incident.incident_id}"
        + (" · DEVELOPMENT KEY, NOT EVIDENCE" if development else ""),
    )
