"""Render the demo-like incident's PDFs (and their pages as PNG) to look at them.

    .venv/bin/python bench/exporter/render_demo.py [out_dir]     # default .local/exporter-demo

Three incidents shaped like the demo's budget breach: resolved (every control shown), open and
contained (PARTIAL controls, "open for …"), and one whose reason and policy are CJK, Cyrillic and
emoji. Pages are rendered with poppler's ``pdftoppm`` at 80 dpi.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "services" / "exporter" / "tests"))

from exporter_samples import BASE_TIME, as_incident_data, sample_rows  # noqa: E402

from guard_contracts.enums import ExportFormat, ExportKind  # noqa: E402
from guard_exporter.engines.keys import development_private_key  # noqa: E402
from guard_exporter.engines.records import ExportSpec  # noqa: E402
from guard_exporter.engines.render import render  # noqa: E402

UNICODE_REASON = "Бюджет превышен — 预算超支 — 予算超過 🚨🔥"


def _variants() -> dict[str, object]:
    resolved = sample_rows("demo", n_timeline=14, n_steps=40)
    open_rows = sample_rows("demo", n_timeline=6, n_steps=25)
    open_rows.incident.update(
        lifecycle_state="ACKED", resolved_at=None, resolved_by=None, resolution_method=None,
        severity="high", title="Agent agent-billing stopped: daily budget breached",
    )  # fmt: skip
    open_rows.timeline = [t for t in open_rows.timeline if t["entry_type"] != "resolved"]
    open_rows.incident["timeline_length"] = len(open_rows.timeline)
    open_rows.incident["timeline_head"] = open_rows.timeline[-1]["hash"]
    open_rows.similar.clear()
    cjk = sample_rows("demo-unicode", n_timeline=5, n_steps=12)
    cjk.incident.update(
        title=f"Политика 预算 breached {UNICODE_REASON[-2:]}", policy_id="политика-预算-🚦"
    )
    for event in cjk.events:
        event["reason"] = UNICODE_REASON
    return {"resolved": resolved, "open": open_rows, "unicode": cjk}


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / ".local" / "exporter-demo"
    out.mkdir(parents=True, exist_ok=True)
    pdftoppm = shutil.which("pdftoppm")
    key = development_private_key()
    for name, rows in _variants().items():
        data = as_incident_data(rows)  # type: ignore[arg-type]
        for kind in (ExportKind.SOC2, ExportKind.EXECUTIVE_DEBRIEF):
            spec = ExportSpec(
                uuid.uuid5(uuid.NAMESPACE_URL, f"{name}:{kind.value}"),
                "demo",
                data.incident.incident_id,
                kind,
                ExportFormat.PDF,
                "alice@example.com",
                BASE_TIME + timedelta(hours=3),
                "quarterly review",
                "Board of Directors",
            )
            pdf = out / f"{name}_{kind.value}.pdf"
            pdf.write_bytes(render(spec, data, key).content)
            if pdftoppm:
                subprocess.run(
                    [pdftoppm, "-r", "80", "-png", str(pdf), str(out / f"{name}_{kind.value}")],
                    check=True,
                )
            print(pdf)


if __name__ == "__main__":
    main()
