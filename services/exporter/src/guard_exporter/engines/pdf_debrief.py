"""The executive debrief (SPEC §9): a short, plain-language account a board member can read."""

from __future__ import annotations

from datetime import date
from typing import Any

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, ListFlowable, ListItem, Table, TableStyle

from guard_contracts.money import MICROS_PER_USD
from guard_exporter.engines.debrief import (
    ResponseTimes,
    affected_runs,
    daily_series,
    method_words,
    risk_level,
    short_duration,
)
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
    grid_style,
    markup,
    para,
    spacer,
    text,
)
from guard_exporter.engines.recommendations import Learnings
from guard_exporter.engines.records import DailySpend, ExportSpec, IncidentData
from guard_exporter.engines.serialize import usd_text

_RISK_COLOUR = {"HIGH": BAD, "MEDIUM": WARN, "LOW": GOOD}
_OTHER_DAY = colors.HexColor("#9FB3C8")


def _figures(data: IncidentData, times: ResponseTimes) -> Table:
    inc = data.incident
    end = inc.resolved_at or inc.last_event_at
    tiles = [
        ("Cost impact", f"${usd_text(inc.cost_impact_micros)}"),
        ("Calls affected", f"{inc.calls_affected:,}"),
        ("Runs affected", f"{len(affected_runs(data)):,}"),
        ("Duration", short_duration(end - inc.first_event_at)),
    ]
    cells = [[markup(f"{text(label)}", "label") for label, _ in tiles]]
    cells.append([markup(f"<font size='15'><b>{text(v)}</b></font>", "body") for _, v in tiles])
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
        [[markup(f"<font color='white'><b>RISK LEVEL: {level}</b></font>", "body")]],
        colWidths=[48 * mm],
    )
    badge.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), _RISK_COLOUR[level]),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    badge.hAlign = "LEFT"
    return badge


def _times_table(times: ResponseTimes) -> Table:
    rows: list[list[Any]] = [
        ["Measure", "Time", "Measured from … to …"],
        [
            "Time to detect",
            short_duration(times.detect),
            para(
                "first sign of trouble (first billed step or guard signal) to incident opened",
                "small",
            ),
        ],
        [
            "Time to contain",
            short_duration(times.contain) if times.contain is not None else "not contained",
            para("incident opened to the first stop or freeze of the run", "small"),
        ],
        [
            "Time to resolve",
            short_duration(times.resolve) if times.resolve is not None else "not resolved",
            para("incident opened to resolution", "small"),
        ],
    ]
    table = Table(rows, colWidths=[38 * mm, 32 * mm, CONTENT_WIDTH - 70 * mm])
    table.setStyle(
        TableStyle(
            [
                *grid_style(),
                ("FONT", (1, 1), (1, -1), "Helvetica-Bold", 10),
                ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
            ]
        )
    )
    return table


def _day_label(day: date, index: int, total: int) -> str:
    step = max(1, total // 8)
    return day.strftime("%d %b") if index % step == 0 else ""


def spend_chart(series: list[DailySpend], incident_days: set[date]) -> Drawing:
    width, height = CONTENT_WIDTH, 62 * mm
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 16 * mm, 12 * mm
    chart.width, chart.height = width - 20 * mm, height - 20 * mm
    values = [s.cost_micros / MICROS_PER_USD for s in series]
    chart.data = [values]
    chart.strokeColor = None
    chart.bars.strokeColor = None
    chart.bars[0].fillColor = _OTHER_DAY
    for i, s in enumerate(series):
        if s.day in incident_days:
            chart.bars[(0, i)].fillColor = BAD
    chart.barSpacing = 1
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max([*values, 1.0]) * 1.15
    chart.valueAxis.labels.fontName = "Helvetica"
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labels.fillColor = MUTED
    whole = max(values, default=0) >= 10
    chart.valueAxis.labelTextFormat = lambda v: f"${v:,.0f}" if whole else f"${v:,.2f}"
    chart.valueAxis.strokeColor = RULE
    chart.valueAxis.gridStrokeColor = RULE
    chart.valueAxis.visibleGrid = True
    chart.categoryAxis.categoryNames = [
        _day_label(s.day, i, len(series)) for i, s in enumerate(series)
    ]
    chart.categoryAxis.labels.fontName = "Helvetica"
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.fillColor = MUTED
    chart.categoryAxis.strokeColor = RULE
    drawing.add(chart)
    drawing.add(
        String(
            16 * mm,
            height - 4 * mm,
            "Daily spend (USD)",
            fontName="Helvetica-Bold",
            fontSize=8,
            fillColor=INK,
        )
    )
    drawing.add(
        String(
            width - 4 * mm,
            height - 4 * mm,
            "red: days of the incident",
            fontName="Helvetica",
            fontSize=7,
            fillColor=BAD,
            textAnchor="end",
        )
    )
    return drawing


def _incident_days(data: IncidentData) -> set[date]:
    inc = data.incident
    end = (inc.resolved_at or inc.last_event_at).date()
    start = inc.first_event_at.date()
    return {s.day for s in daily_series(inc, data.daily_spend) if start <= s.day <= end}


def _learnings_block(learned: Learnings, advice: list[str]) -> list[Flowable]:
    items = ListFlowable(
        [ListItem(para(a), leftIndent=12, value=i) for i, a in enumerate(advice, start=1)],
        bulletType="1",
        bulletFontName="Helvetica-Bold",
        bulletFontSize=10,
        bulletColor=ACCENT,
    )
    block: list[Flowable] = [para("Recommendations", "h1"), items]
    if learned.similar:
        rows: list[list[Any]] = [["Similar incident", "Resolved by", "Time to resolve"]]
        rows += [
            [
                str(s.incident_id),
                method_words(s.resolution_method),
                short_duration(s.resolved_at - s.created_at if s.resolved_at else None),
            ]
            for s in learned.similar
        ]
        table = Table(rows, colWidths=[72 * mm, 62 * mm, CONTENT_WIDTH - 134 * mm])
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
) -> bytes:
    inc = data.incident
    prepared = f"Prepared for {text(spec.prepared_for)} · " if spec.prepared_for else ""
    story: list[Flowable] = [
        para("Executive Incident Debrief", "title"),
        markup(
            f"{prepared}{inc.first_event_at:%d %B %Y} · incident {text(inc.incident_id)}",
            "subtitle",
        ),
        _risk_badge(inc.severity),
        spacer(4),
        _figures(data, times),
        para("What happened", "h1"),
        para(summary_text),
        para("How fast we responded", "h1"),
        _times_table(times),
        KeepTogether(
            [
                para("Spend around the incident", "h1"),
                spend_chart(daily_series(inc, data.daily_spend), _incident_days(data)),
            ]
        ),
        *_learnings_block(learned, advice),
    ]
    if spec.export_reason:
        story += [spacer(4), para(f"Reason for this debrief: {spec.export_reason}", "muted")]
    return build_pdf(
        story,
        title=f"Executive debrief {inc.incident_id}",
        subject="Executive incident debrief",
        footer_left=f"Executive debrief · incident {inc.incident_id} · export {spec.export_id}",
    )
