"""The SOC2 incident evidence report (SPEC §9)."""

from __future__ import annotations

from typing import Any

from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, KeepTogether, Table, TableStyle

from guard_exporter.engines.bundle import Bundle
from guard_exporter.engines.controls import DEMONSTRATED, ControlResult
from guard_exporter.engines.pdf_common import (
    BAD,
    CONTENT_WIDTH,
    GOOD,
    STYLES,
    build_pdf,
    grid_style,
    key_value_table,
    markup,
    para,
    spacer,
    text,
)
from guard_exporter.engines.records import ExportSpec, IncidentData, TimelineRow
from guard_exporter.engines.serialize import usd_text, when

#: Rows per timeline table: small tables split across pages in linear time, one huge one does not.
TIMELINE_CHUNK = 60
_TIMELINE_WIDTHS = (13 * mm, 29 * mm, 27 * mm)
_DETAIL_WIDTH = CONTENT_WIDTH - sum(_TIMELINE_WIDTHS)
#: More characters than the details column can ever show at 8 pt; longer text is cut first.
_MAX_DETAIL_CHARS = 160
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


def _fit(line: str, width: float, font: str = "Helvetica", size: float = 8) -> str:
    """Cut ``line`` with an ellipsis so it fits ``width`` points (binary search on the length)."""
    if stringWidth(line, font, size) <= width:
        return line
    low, high = 0, len(line)
    while low < high:
        mid = (low + high + 1) // 2
        if stringWidth(line[:mid] + "…", font, size) <= width:
            low = mid
        else:
            high = mid - 1
    return line[:low] + "…"


def _timeline_tables(rows: tuple[TimelineRow, ...]) -> list[Flowable]:
    header = ["Seq", "Time (UTC)", "Entry", "Details"]
    tables: list[Flowable] = []
    for start in range(0, len(rows), TIMELINE_CHUNK):
        body = [
            [
                str(r.sequence),
                r.occurred_at.strftime("%Y-%m-%d %H:%M:%S"),
                r.entry_type,
                _fit(describe_entry(r.data)[:_MAX_DETAIL_CHARS], _DETAIL_WIDTH - 6),
            ]
            for r in rows[start : start + TIMELINE_CHUNK]
        ]
        table = Table([header, *body], colWidths=[*_TIMELINE_WIDTHS, _DETAIL_WIDTH], repeatRows=1)
        table.setStyle(TableStyle(grid_style()))
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
        colour = GOOD if r.status == DEMONSTRATED else BAD
        style += [
            ("TEXTCOLOR", (1, i), (1, i), colour),
            ("FONT", (1, i), (1, i), "Helvetica-Bold", 8),
        ]
    table = Table(data, colWidths=[42 * mm, 34 * mm, CONTENT_WIDTH - 76 * mm], repeatRows=1)
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
    return [
        para("SOC 2 Incident Evidence Report", "title"),
        para(inc.title, "subtitle"),
        key_value_table(
            [
                ("Incident ID", inc.incident_id),
                ("Tenant", inc.tenant_id),
                ("Severity / state", f"{inc.severity} / {inc.lifecycle_state}"),
                ("Category / cause", f"{inc.category} / {inc.cause_type}"),
                (
                    "Trigger / policy / agent",
                    f"{inc.trigger_type} / {inc.policy_id} / {inc.affected_agent_id}",
                ),
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
    return key_value_table(
        [
            ("Description", inc.description),
            ("Calls affected", f"{inc.calls_affected:,}"),
            ("Signals recorded", f"{inc.event_count:,}"),
            ("Cost impact", f"${usd_text(inc.cost_impact_micros)}"),
            ("Created", when(inc.created_at)),
            ("Acknowledged", f"{when(inc.acked_at)} by {inc.acked_by}" if inc.acked_at else "—"),
            ("Contained", when(inc.contained_at)),
            (
                "Resolved",
                f"{when(inc.resolved_at)} by {inc.resolved_by or '—'} ({inc.resolution_method or '—'})",
            ),
            ("Recurrence of", inc.recurrence_of),
        ]
    )


def _attestation(spec: ExportSpec, bundle: Bundle, chain: dict[str, Any]) -> list[Flowable]:
    signature = bundle.manifest["signature"]
    statement = (
        "This report was generated by the Guard Incidents exporter from the incident's tamper-"
        "evident timeline and its recorded source events, without manual editing. The evidence "
        "bundle of this incident (incident.json, timeline.json, events.jsonl, run_steps.jsonl) has "
        f"the bundle hash below and is signed with Ed25519 key <b>{text(signature['key_id'])}</b>. "
        "Verify a downloaded bundle offline with "
        "<font face='Courier'>python -m guard_exporter.verify bundle.zip --public-key key.pem</font>."
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
                            f"{chain['verification_status']} ({chain['event_count']:,} entries)",
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
    spec: ExportSpec, data: IncidentData, bundle: Bundle, controls: list[ControlResult]
) -> bytes:
    chain = bundle.integrity
    story: list[Flowable] = [
        *_header(spec, data),
        para("Control assessment (CC7.2 – CC7.5)", "h1"),
        _controls_table(controls),
        para("Incident", "h1"),
        _details(data),
        KeepTogether([para("Evidence index", "h1"), _evidence_index(bundle)]),
        *_attestation(spec, bundle, chain),
        para(f"Timeline ({len(data.timeline):,} entries)", "h1"),
        *_timeline_tables(data.timeline),
    ]
    return build_pdf(
        story,
        title=f"SOC 2 incident evidence report {data.incident.incident_id}",
        subject="SOC 2 CC7.2-CC7.5 incident evidence",
        footer_left=f"SOC 2 evidence · incident {data.incident.incident_id} · export {spec.export_id}",
    )
