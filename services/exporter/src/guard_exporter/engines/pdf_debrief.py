"""The executive debrief (docs/exports.md): a short, plain-language account a board member can read."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, ListFlowable, ListItem, Table, TableStyle

from guard_contracts.money import MICROS_PER_USD
from guard_exporter.engines.advice import Learnings
from guard_exporter.engines.debrief import (
    ChartWindow,
    ResponseTimes,
    affected_runs,
    elapsed,
    incident_buckets,
    method_words,
    risk_level,
    spend_series,
)
from guard_exporter.engines.fonts import SANS, SANS_BOLD
from guard_exporter.engines.pdf_common import (
    ACCENT,
    BAD,
    BAND,
    CONTENT_WIDTH,
    GOOD,
    INK,
    MUTED,
    RULE,
    WARN,
    build_pdf,
    development_banner,
    grid_style,
    markup,
    para,
    spacer,
    text,
)
from guard_exporter.engines.phrasing import duration, short_duration
from guard_exporter.engines.records import ExportSpec, IncidentData, SpendBucket
from guard_exporter.engines.serialize import usd_display

_RISK_COLOUR = {"CRITICAL": colors.HexColor("#7A1010"), "HIGH": BAD, "MEDIUM": WARN, "LOW": GOOD}
_OTHER_BUCKET = colors.HexColor("#9FB3C8")
_BAND_RED = colors.HexColor("#FBE3E1")


def per(bucket: timedelta) -> str:
    """ "minute", "5 minutes", "hour", "6 hours", "day", "week" (the chart's unit)."""
    words = duration(bucket)
    return words.removeprefix("1 ") if words.startswith("1 ") else words


def _figures(data: IncidentData, as_of: datetime) -> Table:
    inc = data.incident
    span = short_duration(elapsed(inc, as_of))
    tiles = [
        ("Cost impact", f"${usd_display(inc.cost_impact_micros)}"),
        ("Calls affected", f"{inc.calls_affected:,}"),
        ("Runs affected", f"{len(affected_runs(data)):,}"),
        ("Duration" if inc.resolved_at else "Open for", span),
    ]
    cells = [[markup(text(label), "label") for label, _ in tiles]]
    cells.append([markup(f"<font size='11.5'><b>{text(v)}</b></font>", "body") for _, v in tiles])
    table = Table(cells, colWidths=[CONTENT_WIDTH / 4] * 4, rowHeights=[14, 24])
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), BAND),
                ("LINEAFTER", (0, 0), (-2, -1), 2, colors.white),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, 0), 6),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def _risk_badge(severity: str) -> Table:
    level = risk_level(severity)
    badge = Table(
        [[markup(f"<font color='white'><b>RISK LEVEL: {text(level)}</b></font>", "body")]],
        colWidths=[52 * mm],
    )
    badge.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), _RISK_COLOUR.get(level, MUTED)),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    badge.hAlign = "LEFT"
    return badge


def _times_table(data: IncidentData, times: ResponseTimes, as_of: datetime) -> Table:
    inc = data.incident
    rows: list[list[Any]] = [["Measure", "Time", "Measured between"]]
    if times.detect is not None:
        rows.append(
            [
                "Time to detect",
                duration(times.detect),
                para("first signal of this incident's fingerprint to incident opened", "small"),
            ]
        )
    open_for = duration(elapsed(inc, as_of))
    rows += [
        [
            "Time to contain",
            duration(times.contain) if times.contain is not None else "not contained",
            para("incident opened to the first stop or freeze of the run", "small"),
        ],
        [
            "Time to resolve",
            duration(times.resolve) if times.resolve is not None else f"open for {open_for}",
            para("incident opened to resolution", "small"),
        ],
    ]
    table = Table(rows, colWidths=[36 * mm, 46 * mm, CONTENT_WIDTH - 82 * mm])
    table.setStyle(
        TableStyle(
            [
                *grid_style(),
                ("FONT", (1, 1), (1, -1), SANS_BOLD, 9.5),
                ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
            ]
        )
    )
    return table


def _bucket_label(start: datetime, bucket: timedelta, index: int, total: int) -> str:
    step = max(1, (total + 7) // 8)
    if index % step:
        return ""
    if bucket >= timedelta(days=1):
        return start.strftime("%d %b")
    if (start.hour == 0 and start.minute == 0) or index == 0:
        return start.strftime("%d %b %H:%M")
    return start.strftime("%H:%M")


def usd_label(value: float) -> str:
    """A bar's value: "$0", "$0.37", "$12.40", "$1,204", "$12.3k"."""
    if value == 0:
        return "$0"
    if value >= 10_000:
        return f"${value / 1000:,.1f}k"
    if value >= 100:
        return f"${value:,.0f}"
    return f"${value:,.2f}"


def spend_chart(window: ChartWindow, series: list[SpendBucket], highlighted: set[int]) -> Drawing:
    width, height = CONTENT_WIDTH, 64 * mm
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 16 * mm, 12 * mm
    chart.width, chart.height = width - 20 * mm, height - 24 * mm
    values = [s.cost_micros / MICROS_PER_USD for s in series]
    chart.data = [values]
    chart.strokeColor = None
    chart.bars.strokeColor = None
    chart.bars[0].fillColor = _OTHER_BUCKET
    for i in highlighted:
        chart.bars[(0, i)].fillColor = BAD
    chart.barSpacing = 1
    chart.barLabelFormat = lambda v: usd_label(v) if v else ""
    chart.barLabels.fontName = SANS
    chart.barLabels.fontSize = 6 if len(series) <= 14 else 5
    chart.barLabels.fillColor = INK
    chart.barLabels.nudge = 5
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max([*values, 0.01]) * 1.3
    chart.valueAxis.labels.fontName = SANS
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labels.fillColor = MUTED
    chart.valueAxis.labelTextFormat = usd_label
    chart.valueAxis.strokeColor = RULE
    chart.valueAxis.gridStrokeColor = RULE
    chart.valueAxis.visibleGrid = True
    chart.categoryAxis.categoryNames = [
        _bucket_label(s.start, window.bucket, i, len(series)) for i, s in enumerate(series)
    ]
    chart.categoryAxis.labels.fontName = SANS
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.fillColor = MUTED
    chart.categoryAxis.strokeColor = RULE
    if highlighted:
        # A band behind the buckets the incident spans: visible even where nothing was billed.
        slot = chart.width / len(series)
        first, last = min(highlighted), max(highlighted)
        drawing.add(
            Rect(
                chart.x + first * slot,
                chart.y,
                (last - first + 1) * slot,
                chart.height,
                fillColor=_BAND_RED,
                strokeColor=None,
            )
        )
    drawing.add(chart)
    drawing.add(
        String(
            16 * mm,
            height - 5 * mm,
            f"Billed spend of {window.scope} {window.scope_id}, USD per {per(window.bucket)} (UTC)",
            fontName=SANS_BOLD,
            fontSize=8,
            fillColor=INK,
        )
    )
    drawing.add(
        String(
            width - 4 * mm,
            height - 5 * mm,
            "shaded: while the incident was open",
            fontName=SANS,
            fontSize=7,
            fillColor=BAD,
            textAnchor="end",
        )
    )
    return drawing


def _chart_block(data: IncidentData, window: ChartWindow | None, as_of: datetime) -> Flowable:
    if window is None:
        return KeepTogether(
            [
                para("Spend around the incident", "h1"),
                para(
                    "The incident names no run or agent, so there is no spend of its own to chart.",
                    "muted",
                ),
            ]
        )
    series = spend_series(window, data.spend)
    total = sum(s.cost_micros for s in series)
    until = min(window.end, as_of)
    note = (
        f"The bars add up to ${usd_display(total)} billed by {window.scope} {window.scope_id} from "
        f"{window.start:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M} UTC. The incident's cost "
        f"impact (${usd_display(data.incident.cost_impact_micros)}) is what the guard reported on "
        "its signals, so the two can differ."
    )
    return KeepTogether(
        [
            para("Spend around the incident", "h1"),
            spend_chart(window, series, incident_buckets(window, data.incident, as_of)),
            para(note, "muted"),
        ]
    )


def _learnings_block(learned: Learnings, advice: list[str]) -> list[Flowable]:
    items = ListFlowable(
        [ListItem(para(a), leftIndent=12, value=i) for i, a in enumerate(advice, start=1)],
        bulletType="1",
        bulletFontName=SANS_BOLD,
        bulletFontSize=10,
        bulletColor=ACCENT,
    )
    block: list[Flowable] = [para("Recommendations", "h1"), items]
    if learned.similar:
        rows: list[list[Any]] = [["Similar incident", "Resolved", "Time to resolve"]]
        rows += [
            [
                str(s.incident_id),
                method_words(s.resolution_method) or "",
                duration(s.resolved_at - s.created_at) if s.resolved_at else "",
            ]
            for s in learned.similar
        ]
        table = Table(rows, colWidths=[72 * mm, 56 * mm, CONTENT_WIDTH - 128 * mm])
        table.setStyle(TableStyle(grid_style()))
        block += [spacer(3), KeepTogether([para("What similar incidents taught us", "h1"), table])]
    return block


def render_debrief(
    spec: ExportSpec,
    data: IncidentData,
    summary_text: str,
    times: ResponseTimes,
    learned: Learnings,
    advice: list[str],
    window: ChartWindow | None,
    *,
    development: bool = False,
) -> bytes:
    inc = data.incident
    as_of = spec.requested_at
    facts = [f"{inc.first_event_at:%d %B %Y}", f"severity {inc.severity}", inc.lifecycle_state]
    if spec.prepared_for:
        facts.insert(0, f"Prepared for {spec.prepared_for}")
    story: list[Flowable] = [
        *development_banner(development),
        para("Executive Incident Debrief", "muted"),
        para(inc.title, "title"),
        para(" · ".join(facts), "subtitle"),
        _risk_badge(inc.severity),
        spacer(4),
        _figures(data, as_of),
        para("What happened", "h1"),
        para(summary_text),
        para("How fast we responded", "h1"),
        _times_table(data, times, as_of),
        _chart_block(data, window, as_of),
        *_learnings_block(learned, advice),
        spacer(4),
        para(f"Incident {inc.incident_id} · export {spec.export_id}", "muted"),
    ]
    if spec.export_reason:
        story.append(para(f"Reason for this debrief: {spec.export_reason}", "muted"))
    footer = f"Executive debrief · incident {inc.incident_id}"
    return build_pdf(
        story,
        title=inc.title,
        subject="Executive incident debrief",
        footer_left=f"{footer} · DEVELOPMENT KEY, NOT EVIDENCE" if development else footer,
    )
