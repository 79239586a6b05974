"""Shared PDF look: one type scale, one palette, a running footer, deterministic output.

``invariant=1`` makes reportlab write a fixed creation date and document id, so the same input gives
the same bytes. Only the PDF base-14 fonts are used, so nothing depends on the host's fonts.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

INK = colors.HexColor("#1F2933")
MUTED = colors.HexColor("#616E7C")
RULE = colors.HexColor("#D9E2EC")
ACCENT = colors.HexColor("#243B53")
BAND = colors.HexColor("#F0F4F8")
GOOD = colors.HexColor("#1E7B4A")
BAD = colors.HexColor("#B42318")
WARN = colors.HexColor("#B54708")

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN

STYLES = {
    "title": ParagraphStyle(
        "title", fontName="Helvetica-Bold", fontSize=20, leading=24, textColor=ACCENT
    ),
    "subtitle": ParagraphStyle(
        "subtitle", fontName="Helvetica", fontSize=12, leading=16, textColor=MUTED, spaceAfter=6
    ),
    "h1": ParagraphStyle(
        "h1",
        fontName="Helvetica-Bold",
        fontSize=13,
        leading=17,
        textColor=ACCENT,
        spaceBefore=12,
        spaceAfter=6,
    ),
    "body": ParagraphStyle(
        "body", fontName="Helvetica", fontSize=10, leading=14.5, textColor=INK, alignment=TA_LEFT
    ),
    "small": ParagraphStyle("small", fontName="Helvetica", fontSize=8.5, leading=11, textColor=INK),
    "muted": ParagraphStyle(
        "muted", fontName="Helvetica", fontSize=8.5, leading=11, textColor=MUTED
    ),
    "mono": ParagraphStyle("mono", fontName="Courier", fontSize=8, leading=10, textColor=INK),
    "label": ParagraphStyle(
        "label", fontName="Helvetica-Bold", fontSize=8.5, leading=11, textColor=MUTED
    ),
}


def text(value: object) -> str:
    """Escape data for reportlab's paragraph markup; ``—`` for missing values."""
    if value is None or value == "":
        return "—"
    return escape(str(value))


def para(value: object, style: str = "body") -> Paragraph:
    return Paragraph(text(value), STYLES[style])


def markup(source: str, style: str = "body") -> Paragraph:
    """A paragraph whose markup the caller built (and escaped) itself."""
    return Paragraph(source, STYLES[style])


def key_value_table(rows: Sequence[tuple[str, object]], label_width: float = 42 * mm) -> Table:
    data = [[para(label, "label"), para(value, "small")] for label, value in rows]
    table = Table(data, colWidths=[label_width, CONTENT_WIDTH - label_width])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def grid_style(header_rows: int = 1) -> list[tuple[Any, ...]]:
    return [
        ("FONT", (0, 0), (-1, header_rows - 1), "Helvetica-Bold", 8),
        ("TEXTCOLOR", (0, 0), (-1, header_rows - 1), MUTED),
        ("LINEBELOW", (0, header_rows - 1), (-1, header_rows - 1), 0.8, ACCENT),
        ("FONT", (0, header_rows), (-1, -1), "Helvetica", 8),
        ("TEXTCOLOR", (0, header_rows), (-1, -1), INK),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.2),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]


def spacer(height_mm: float) -> Spacer:
    return Spacer(1, height_mm * mm)


def build_pdf(story: list[Flowable], *, title: str, subject: str, footer_left: str) -> bytes:
    out = io.BytesIO()

    def footer(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, 12 * mm, PAGE_WIDTH - MARGIN, 12 * mm)
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, 8 * mm, footer_left)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, 8 * mm, f"Page {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=20 * mm,
        title=title,
        subject=subject,
        author="Guard Incidents",
        creator="Guard Incidents exporter",
        producer="Guard Incidents exporter",
        invariant=1,
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
