"""Embedded Unicode fonts for the PDFs (docs/exports.md, "Fonts").

The base-14 PDF fonts cover Latin-1 only: a Cyrillic, CJK or emoji reason rendered as ■. Here every
PDF embeds (a subset of) DejaVu Sans from the Debian package ``fonts-dejavu-core`` — Latin, Greek,
Cyrillic, many symbols and emoticons — and text DejaVu cannot draw falls back, character run by
character run, to Droid Sans Fallback (``fonts-droid-fallback``: Chinese, Japanese, Korean) and
then Symbola (``fonts-symbola``: other emoji and symbols). ``scripts/bootstrap`` installs the three
packages; nothing is downloaded at run time. DejaVu is required; a missing fallback only means its
characters show as boxes, and the text stays extractable either way (reportlab writes a ToUnicode
map for every embedded font).

Reading the font files is the one piece of I/O in the rendering engines; it happens once per
process (the fonts are registered with reportlab globally) and depends on nothing but the files.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.graphics import shapes
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import tables

SANS = "GuardSans"
SANS_BOLD = "GuardSans-Bold"
SANS_ITALIC = "GuardSans-Oblique"
MONO = "GuardMono"
CJK = "GuardCJK"
SYMBOLS = "GuardSymbols"

#: Where the Debian packages put the files; ``GUARD_EXPORTER_FONT_DIR`` is searched first.
_SEARCH = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/truetype/droid",
    "/usr/share/fonts/truetype/ancient-scripts",
    "/usr/share/fonts/TTF",
    "/usr/share/fonts/dejavu",
)
_REQUIRED = {
    SANS: "DejaVuSans.ttf",
    SANS_BOLD: "DejaVuSans-Bold.ttf",
    SANS_ITALIC: "DejaVuSans-Oblique.ttf",
    MONO: "DejaVuSansMono.ttf",
}
_FALLBACKS = {CJK: "DroidSansFallbackFull.ttf", SYMBOLS: "Symbola_hint.ttf"}


class FontsMissing(RuntimeError):
    """DejaVu Sans is not installed (``apt-get install fonts-dejavu-core``, or scripts/bootstrap)."""


def _find(filename: str) -> Path | None:
    extra = os.environ.get("GUARD_EXPORTER_FONT_DIR")
    for folder in (*([extra] if extra else []), *_SEARCH):
        candidate = Path(folder) / filename
        if candidate.is_file():
            return candidate
    return None


@dataclass(frozen=True, slots=True)
class FontSet:
    """The registered fonts: which fallbacks exist, and each font's character coverage."""

    coverage: dict[str, frozenset[int]]

    def font_for(self, char: str) -> str:
        code = ord(char)
        if code < 0x250 or code in self.coverage[SANS]:
            return SANS
        for name in (CJK, SYMBOLS):
            if code in self.coverage.get(name, frozenset()):
                return name
        return SANS


def _to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """reportlab's ToUnicode CMap, with each destination written as UTF-16BE as the PDF
    specification asks. reportlab writes ``<1F525>`` for a character outside the Basic
    Multilingual Plane (an emoji), which readers reject, so its text would not extract."""
    lines = [
        f"<{i:02X}> <{chr(v).encode('utf-16-be').hex().upper()}>" for i, v in enumerate(subset)
    ]
    return "\n".join(
        [
            "/CIDInit /ProcSet findresource begin",
            "12 dict begin",
            "begincmap",
            "/CIDSystemInfo",
            f"<< /Registry ({fontname})",
            f"/Ordering ({fontname})",
            "/Supplement 0",
            ">> def",
            f"/CMapName /{fontname} def",
            "/CMapType 2 def",
            "1 begincodespacerange",
            f"<00> <{len(subset) - 1:02X}>",
            "endcodespacerange",
            f"{len(subset)} beginbfchar",
            *lines,
            "endbfchar",
            "endcmap",
            "CMapName currentdict /CMap defineresource pop",
            "end",
            "end",
        ]
    )


@functools.cache
def fonts() -> FontSet:
    """Register the fonts with reportlab (once per process) and return their coverage."""
    ttfonts.makeToUnicodeCMap = _to_unicode_cmap
    # A canvas starts in its base font; make it ours so no base-14 font is ever referenced.
    rl_config.canvas_basefontname = SANS
    tables.CellStyle.fontname = SANS  # the default font of table cells (Helvetica otherwise)
    shapes.STATE_DEFAULTS["fontName"] = SANS  # and of charts
    coverage: dict[str, frozenset[int]] = {}
    for name, filename in _REQUIRED.items():
        path = _find(filename)
        if path is None:
            raise FontsMissing(
                f"{filename} not found: install fonts-dejavu-core (scripts/bootstrap does) or set "
                "GUARD_EXPORTER_FONT_DIR"
            )
        font = TTFont(name, str(path))
        pdfmetrics.registerFont(font)
        coverage[name] = frozenset(font.face.charToGlyph)
    for name, filename in _FALLBACKS.items():
        path = _find(filename)
        if path is not None:
            font = TTFont(name, str(path))
            pdfmetrics.registerFont(font)
            coverage[name] = frozenset(font.face.charToGlyph)
            for bold in (0, 1):
                for italic in (0, 1):
                    addMapping(name, bold, italic, name)  # no bold/italic cut: same face
    addMapping(SANS, 0, 0, SANS)
    addMapping(SANS, 1, 0, SANS_BOLD)
    addMapping(SANS, 0, 1, SANS_ITALIC)
    addMapping(SANS, 1, 1, SANS_BOLD)
    return FontSet(coverage)


def markup_text(value: str) -> str:
    """Escape ``value`` for paragraph markup, wrapping runs DejaVu cannot draw in a fallback font."""
    font_set = fonts()
    out: list[str] = []
    run: list[str] = []
    current = SANS
    for char in value:
        wanted = font_set.font_for(char)
        if wanted != current and run:
            out.append(_run(current, "".join(run)))
            run = []
        current = wanted
        run.append(char)
    if run:
        out.append(_run(current, "".join(run)))
    return "".join(out)


def _run(font: str, chunk: str) -> str:
    escaped = escape(chunk)
    return escaped if font == SANS else f'<font name="{font}">{escaped}</font>'
