"""SOC2 and executive debrief PDFs: their text, their control verdicts, that they render."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from exporter_samples import BASE_TIME, as_incident_data, sample_rows
from pypdf import PdfReader

from guard_contracts.enums import ExportFormat, ExportKind
from guard_exporter.engines.bundle import build_bundle
from guard_exporter.engines.records import ExportSpec
from guard_exporter.engines.render import render

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
CONTROLS = ("CC7.2", "CC7.3", "CC7.4", "CC7.5")


def _spec(incident_id: uuid.UUID, kind: ExportKind) -> ExportSpec:
    return ExportSpec(
        uuid.UUID("00000000-0000-4000-8000-0000000000aa"),
        "tenant-a",
        incident_id,
        kind,
        ExportFormat.PDF,
        "auditor@example.com",
        BASE_TIME + timedelta(hours=2),
        "annual SOC 2 audit",
        "Board of Directors",
    )


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _statuses(text: str) -> dict[str, str]:
    flat = _squash(text)
    found = {}
    for control in CONTROLS:
        match = re.search(rf"{re.escape(control)} .*?(NOT DEMONSTRATED|DEMONSTRATED|PARTIAL)", flat)
        assert match, f"{control} has no status"
        found[control] = match.group(1)
    return found


@pytest.fixture(scope="module")
def good():
    return sample_rows("tenant-a", n_timeline=40, n_steps=30, demonstrating=True)


@pytest.fixture(scope="module")
def poor():
    return sample_rows("tenant-a", n_timeline=8, n_steps=5, demonstrating=False)


def _render(rows, kind: ExportKind) -> bytes:
    return render(_spec(rows.incident["incident_id"], kind), as_incident_data(rows), KEY).content


def test_soc2_names_the_incident_and_every_timeline_entry(good) -> None:
    text = _text(_render(good, ExportKind.SOC2))
    assert str(good.incident["incident_id"]) in text
    flat = _squash(text)
    for row in good.timeline:
        stamp = row["occurred_at"].strftime("%Y-%m-%d %H:%M:%S")
        entry = f" {row['sequence']} {stamp} {row['entry_type']} "
        assert entry in flat, f"timeline entry {row['sequence']} is missing"


def test_soc2_demonstrates_controls_the_data_shows(good) -> None:
    assert _statuses(_text(_render(good, ExportKind.SOC2))) == dict.fromkeys(
        CONTROLS, "DEMONSTRATED"
    )


def test_soc2_does_not_demonstrate_what_the_data_lacks(poor) -> None:
    text = _text(_render(poor, ExportKind.SOC2))
    assert _statuses(text) == {
        "CC7.2": "DEMONSTRATED",  # a guard still detected it
        "CC7.3": "NOT DEMONSTRATED",
        "CC7.4": "NOT DEMONSTRATED",
        "CC7.5": "NOT DEMONSTRATED",
    }
    flat = _squash(text)
    assert "No person acknowledged or resolved the incident" in flat
    assert "No stop or freeze action was recorded" in flat


def test_soc2_with_a_broken_chain_demonstrates_nothing() -> None:
    rows = sample_rows("tenant-b", n_timeline=10, n_steps=3)
    rows.timeline[2]["data"] = {"event": {"action": "edited"}}
    text = _text(_render(rows, ExportKind.SOC2))
    assert set(_statuses(text).values()) == {"NOT DEMONSTRATED"}
    assert "TAMPERED" in text


def test_soc2_period_evidence_index_and_attestation(good) -> None:
    text = _squash(_text(_render(good, ExportKind.SOC2)))
    data = as_incident_data(good)
    bundle = build_bundle(_spec(good.incident["incident_id"], ExportKind.SOC2), data, KEY)
    assert (
        "Compliance period 2026-11-20 09:00:00 UTC to "
        + good.incident["resolved_at"].strftime("%Y-%m-%d %H:%M:%S UTC")
        in text
    )
    for entry in bundle.manifest["files"]:
        assert entry["name"] in text
        assert entry["sha256"] in text.replace(" ", "")
    assert bundle.bundle_sha256 in text.replace(" ", "")


def test_debrief_reports_risk_summary_times_and_recommendations(good, poor) -> None:
    text = _squash(_text(_render(good, ExportKind.EXECUTIVE_DEBRIEF)))
    assert "RISK LEVEL: CRITICAL" in text  # critical is shown as critical
    assert good.incident["title"] in text  # the title heads the page, not the id
    assert "111 model calls were affected across 37 recorded signals" in text
    assert "cost impact of $46.25" in text
    assert "Time to detect 0 seconds" in text  # opened on its first signal
    assert "Time to contain 0 seconds" in text
    assert "The incident lasted 23 minutes" in text
    assert "Recommendations" in text
    assert "Resolution method released closed" in text  # guard_rules.learnings wording
    assert "nobody acknowledged" not in text.lower()
    poor_text = _squash(_text(_render(poor, ExportKind.EXECUTIVE_DEBRIEF)))
    assert "RISK LEVEL: MEDIUM" in poor_text
    assert "not contained" in poor_text
    assert "without anyone acknowledging it" in poor_text
    assert not re.search(r"(?<![\d,])1 (model calls|recorded signals)", poor_text)


@pytest.mark.parametrize("kind", [ExportKind.SOC2, ExportKind.EXECUTIVE_DEBRIEF])
def test_same_request_gives_identical_pdf_bytes(good, kind: ExportKind) -> None:
    assert _render(good, kind) == _render(good, kind)


@pytest.mark.parametrize("kind", [ExportKind.SOC2, ExportKind.EXECUTIVE_DEBRIEF])
def test_every_page_renders_to_png(good, kind: ExportKind, tmp_path: Path) -> None:
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "poppler-utils (pdftoppm) must be installed: apt-get install -y poppler-utils"
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(_render(good, kind))
    pages = len(PdfReader(str(pdf)).pages)
    subprocess.run(
        [pdftoppm, "-r", "50", "-png", str(pdf), str(tmp_path / "page")],
        check=True,
        capture_output=True,
        timeout=120,
    )
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == pages
    assert all(image.stat().st_size > 1000 for image in images)


def test_an_open_anomaly_incident_without_events_still_renders() -> None:
    rows = sample_rows("tenant-anomaly", n_timeline=4, n_steps=0)
    rows.incident.update(
        source_type="cost_anomaly", trigger_type=None, llm_run_id=None, affected_agent_id=None,
        policy_id=None, category="COST_ANOMALY", lifecycle_state="ACTIVE", resolved_at=None,
        resolved_by=None, resolution_method=None, acked_at=None, acked_by=None, contained_at=None,
    )  # fmt: skip
    rows.events.clear()
    rows.similar.clear()
    rows.spend.clear()
    soc2 = _squash(_text(_render(rows, ExportKind.SOC2)))
    assert "to open (not resolved)" in soc2
    assert _statuses(soc2)["CC7.5"] == "NOT DEMONSTRATED"
    debrief = _squash(_text(_render(rows, ExportKind.EXECUTIVE_DEBRIEF)))
    assert "monitoring flagged activity" in debrief
    assert "The incident is still open; it has been open for 2 hours" in debrief
    assert "Time to resolve open for 2 hours" in debrief
    assert "lasted" not in debrief
    assert "names no run or agent" in debrief  # no tenant-wide chart pretending to be its own
