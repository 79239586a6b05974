"""Shared PDF look: one type scale, one palette, a running footer, deterministic output.

``invariant=1`` makes reportlab write a fixed creation date and document id, so the same input gives
the same bytes. Fonts are embedded Unicode TrueType fonts (``engines.fonts``, docs/exports.md).
Unknown values are left out, never printed as a dash: :func:`key_value_table` drops rows without a
value and callers build sentences only from the facts they have.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from guard_exporter.engines.fonts import MONO, SANS, SANS_BOLD, fonts, markup_text

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
    "title": ParagraphStyle("title", fontName=SANS_BOLD, fontSize=20, leading=24, textColor=ACCENT),
    "subtitle": ParagraphStyle(
        "subtitle", fontName=SANS, fontSize=12, leading=16, textColor=MUTED, spaceAfter=6
    ),
    "h1": ParagraphStyle(
        "h1",
        fontName=SANS_BOLD,
        fontSize=13,
        leading=17,
        textColor=ACCENT,
        spaceBefore=12,
        spaceAfter=6,
    ),
    "body": ParagraphStyle(
        "body", fontName=SANS, fontSize=10, leading=14.5, textColor=INK, alignment=TA_LEFT
    ),
    "small": ParagraphStyle("small", fontName=SANS, fontSize=8.5, leading=11, textColor=INK),
    "muted": ParagraphStyle("muted", fontName=SANS, fontSize=8.5, leading=11, textColor=MUTED),
    "mono": ParagraphStyle("mono", fontName=MONO, fontSize=8, leading=10, textColor=INK),
    "label": ParagraphStyle("label", fontName=SANS_BOLD, fontSize=8.5, leading=11, textColor=MUTED),
}


def text(value: object) -> str:
    """Escape data for reportlab's paragraph markup (with font fallback for any script)."""
    if value is None:
        return ""
    return markup_text(str(value))


def present(value: object) -> bool:
    return value is not None and value != ""


def para(value: object, style: str = "body") -> Paragraph:
    return Paragraph(text(value), STYLES[style])


def markup(source: str, style: str = "body") -> Paragraph:
    """A paragraph whose markup the caller built (and escaped) itself."""
    fonts()  # the styles name the embedded fonts: they must be registered first
    return Paragraph(source, STYLES[style])


def key_value_table(rows: Sequence[tuple[str, object]], label_width: float = 42 * mm) -> Table:
    """Label/value rows; a row whose value is unknown (None or empty) is left out."""
    data = [[para(label, "label"), para(value, "small")] for label, value in rows if present(value)]
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


def grid_style(header_rows: int = 1, size: float = 8) -> list[tuple[Any, ...]]:
    return [
        ("FONT", (0, 0), (-1, header_rows - 1), SANS_BOLD, size),
        ("TEXTCOLOR", (0, 0), (-1, header_rows - 1), MUTED),
        ("LINEBELOW", (0, header_rows - 1), (-1, header_rows - 1), 0.8, ACCENT),
        ("FONT", (0, header_rows), (-1, -1), SANS, size),
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
    fonts()  # registered before the first paragraph is measured
    out = io.BytesIO()

    def footer(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, 12 * mm, PAGE_WIDTH - MARGIN, 12 * mm)
        canvas.setFont(SANS, 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, 8 * mm, footer_left)  # ids and fixed words: DejaVu covers them
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


def development_banner(development: bool) -> list[Flowable]:
    """A red notice on the first page of anything produced with the public development key."""
    if not development:
        return []
    banner = Table(
        [
            [
                markup(
                    "<font color='white'><b>DEVELOPMENT KEY — NOT EVIDENCE.</b> This document was "
                    "produced by an exporter signing with the public development key; anyone can "
                    "produce the same signature.</font>",
                    "small",
                )
            ]
        ],
        colWidths=[CONTENT_WIDTH],
    )
    banner.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), BAD),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return [banner, spacer(3)]
