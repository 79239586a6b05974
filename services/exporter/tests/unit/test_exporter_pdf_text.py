"""What a reader extracts from the PDFs (pypdf): the right risk level and durations, the full
timeline details, no placeholders, any script, embedded fonts, and the development-key notice."""

from __future__ import annotations

import io
import re
import uuid
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from exporter_samples import BASE_TIME, SampleRows, as_incident_data, sample_rows
from pypdf import PdfReader

from guard_contracts.chain import link_hash
from guard_contracts.enums import ExportFormat, ExportKind
from guard_exporter.engines.keys import development_private_key
from guard_exporter.engines.records import ExportSpec
from guard_exporter.engines.render import render

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
UNICODE_REASON = "Бюджет превышен · 预算超支 · 予算超過 · 🚨🔥"
LONG_NOTE = " ".join(f"step{i}-checked" for i in range(120))  # ~1,700 characters


def _render(rows: SampleRows, kind: ExportKind, key: Ed25519PrivateKey = KEY) -> bytes:
    spec = ExportSpec(
        uuid.UUID(int=99),
        rows.incident["tenant_id"],
        rows.incident["incident_id"],
        kind,
        ExportFormat.PDF,
        "auditor@example.com",
        BASE_TIME + timedelta(hours=2),
    )
    return render(spec, as_incident_data(rows), key).content


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def _flat(pdf: bytes) -> str:
    return re.sub(r"\s+", " ", _text(pdf))


def _rechain(rows: SampleRows) -> None:
    prev = None
    for row in rows.timeline:
        entry = {
            "sequence": row["sequence"],
            "entry_type": row["entry_type"],
            "occurred_at": row["occurred_at"].isoformat(),
            "source_event_id": str(row["source_event_id"]) if row["source_event_id"] else None,
            "data": row["data"],
        }
        row["prev_hash"], row["hash"] = prev, link_hash(prev, entry)
        prev = row["hash"]
    rows.incident["timeline_head"] = prev


@pytest.fixture(scope="module")
def unicode_rows() -> SampleRows:
    rows = sample_rows("tenant-u", n_timeline=6, n_steps=4)
    for event in rows.events:
        event["reason"] = UNICODE_REASON
    rows.timeline[0]["data"]["event"]["reason"] = UNICODE_REASON
    rows.timeline[-2]["data"]["notes"] = LONG_NOTE
    _rechain(rows)
    rows.incident["policy_id"] = "политика-预算"
    return rows


@pytest.mark.parametrize("severity", ["critical", "high", "medium", "low"])
def test_the_risk_level_is_the_severity(severity: str) -> None:
    rows = sample_rows("tenant-risk", n_timeline=5, n_steps=2)
    rows.incident["severity"] = severity
    assert f"RISK LEVEL: {severity.upper()}" in _flat(_render(rows, ExportKind.EXECUTIVE_DEBRIEF))


def test_durations_read_in_words(unicode_rows: SampleRows) -> None:
    text = _flat(_render(unicode_rows, ExportKind.EXECUTIVE_DEBRIEF))
    assert "The incident lasted 20 minutes 10 seconds" in text
    assert "Time to resolve 20 minutes 10 seconds" in text


@pytest.mark.parametrize("kind", [ExportKind.SOC2, ExportKind.EXECUTIVE_DEBRIEF])
def test_a_non_latin_reason_survives_extraction(unicode_rows: SampleRows, kind: ExportKind) -> None:
    text = _flat(_render(unicode_rows, kind))
    for word in ("Бюджет превышен", "预算超支", "予算超過", "🚨", "политика-预算"):
        assert word in text, word
    assert "■" not in text


def test_soc2_prints_every_detail_in_full(unicode_rows: SampleRows) -> None:
    text = _text(_render(unicode_rows, ExportKind.SOC2))
    assert "…" not in text
    squashed = re.sub(r"\s+", "", text)
    assert re.sub(r"\s+", "", LONG_NOTE) in squashed


@pytest.mark.parametrize("kind", [ExportKind.SOC2, ExportKind.EXECUTIVE_DEBRIEF])
def test_no_placeholders_for_unknown_facts(kind: ExportKind) -> None:
    rows = sample_rows("tenant-gaps", n_timeline=5, n_steps=0, demonstrating=False)
    rows.incident.update(
        policy_id=None, affected_agent_id=None, llm_run_id=None, acked_by=None, resolved_by=None,
        contained_at=None, recurrence_of=None,
    )  # fmt: skip
    rows.spend.clear()
    text = _flat(_render(rows, kind))
    assert "—" not in text
    assert "None" not in text
    assert "…" not in text
    assert not re.search(r"\(\s*\)", text)
    assert not re.search(r"(?<![\d,])1 entries", text)


def test_soc2_says_where_the_public_key_comes_from() -> None:
    text = _flat(_render(sample_rows("tenant-k", n_timeline=5, n_steps=1), ExportKind.SOC2))
    assert "GET /api/v1/exports/signing-key" in text


@pytest.mark.parametrize("kind", [ExportKind.SOC2, ExportKind.EXECUTIVE_DEBRIEF])
def test_fonts_are_embedded_unicode_fonts(kind: ExportKind) -> None:
    reader = PdfReader(io.BytesIO(_render(sample_rows("tenant-f", n_timeline=5, n_steps=1), kind)))
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            obj = font.get_object()
            fonts[obj["/BaseFont"]] = obj
    assert fonts
    for name, font in fonts.items():
        assert "Helvetica" not in name, name
        assert "Courier" not in name, name
        descendant = (
            font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        )
        assert "/FontFile2" in descendant["/FontDescriptor"].get_object(), f"{name} not embedded"


@pytest.mark.parametrize("kind", [ExportKind.SOC2, ExportKind.EXECUTIVE_DEBRIEF])
def test_development_key_pdfs_say_so(kind: ExportKind) -> None:
    rows = sample_rows("tenant-d", n_timeline=5, n_steps=1)
    dev = _flat(_render(rows, kind, development_private_key()))
    assert "DEVELOPMENT KEY — NOT EVIDENCE" in dev
    assert "DEVELOPMENT KEY" not in _flat(_render(rows, kind))
