"""``verify`` re-checks the timeline inside a bundle: the four tamper cases, even re-signed.

Each case edits timeline.json, then rewrites the manifest hashes and signs it again with the very
key (what anyone can do with the public development key): the file hashes and the signature hold,
so only the chain check and the recorded head can tell. Exit 1 naming the problem; 2 unreadable.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from exporter_samples import BASE_TIME, as_incident_data, sample_rows

from guard_contracts.enums import ExportFormat, ExportKind
from guard_exporter.engines.bundle import MANIFEST, bundle_hash, encode_file, signed_part
from guard_exporter.engines.keys import DEVELOPMENT_KEY_ID, development_private_key
from guard_exporter.engines.records import ExportSpec
from guard_exporter.engines.render import render
from guard_exporter.verify import main as verify_main

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


def _bundle(key: Ed25519PrivateKey = KEY) -> dict[str, bytes]:
    rows = sample_rows("tenant-v", n_timeline=8, n_steps=3)
    spec = ExportSpec(
        uuid.UUID(int=7),
        "tenant-v",
        rows.incident["incident_id"],
        ExportKind.EVIDENCE,
        ExportFormat.ZIP,
        "auditor@example.com",
        BASE_TIME,
    )
    blob = render(spec, as_incident_data(rows), key).content
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _resigned(files: dict[str, bytes], key: Ed25519PrivateKey = KEY) -> bytes:
    """Recompute every hash in the manifest and sign it again: only the content checks remain."""
    manifest = json.loads(files[MANIFEST])
    for entry in manifest["files"]:
        body = files[entry["name"]]
        entry["sha256"], entry["size_bytes"] = hashlib.sha256(body).hexdigest(), len(body)
    manifest["bundle_sha256"] = bundle_hash(manifest["files"])
    manifest["signature"]["value"] = base64.b64encode(key.sign(signed_part(manifest))).decode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, body in {**files, MANIFEST: encode_file(MANIFEST, manifest)}.items():
            archive.writestr(name, body)
    return out.getvalue()


def _edit_timeline(files: dict[str, bytes], edit: Callable[[list[Any]], None]) -> dict[str, bytes]:
    timeline = json.loads(files["timeline.json"])
    edit(timeline)
    return {**files, "timeline.json": encode_file("timeline.json", timeline)}


def _truncate(t: list[Any]) -> None:
    del t[-2:]


def _delete_middle(t: list[Any]) -> None:
    del t[3]


def _reorder(t: list[Any]) -> None:
    t[2], t[3] = t[3], t[2]


def _edit_payload(t: list[Any]) -> None:
    t[1]["data"]["event"]["calls_affected"] = 0


def _run(tmp_path: Path, blob: bytes, key: Ed25519PrivateKey = KEY, *extra: str) -> int:
    pem = tmp_path / "key.pem"
    pem.write_bytes(key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    bundle = tmp_path / "bundle.zip"
    bundle.write_bytes(blob)
    return verify_main([str(bundle), "--public-key", str(pem), *extra])


def test_the_untouched_bundle_passes_every_check(tmp_path: Path, capsys: Any) -> None:
    assert _run(tmp_path, _resigned(_bundle())) == 0
    assert capsys.readouterr().out.startswith("OK: bundle ")


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_truncate, "timeline.json: the timeline has 6 entries but the incident records 8"),
        (_delete_middle, "timeline.json: entry 4 carries sequence 5"),
        (_reorder, "timeline.json: entry 3 carries sequence 4"),
        (_edit_payload, "timeline.json: entry 2 was changed after it was written"),
    ],
    ids=["truncation", "deletion-in-the-middle", "reordering", "edited-payload"],
)
def test_a_re_signed_tampered_timeline_exits_1_naming_the_problem(
    tmp_path: Path, capsys: Any, edit: Callable[[list[Any]], None], expected: str
) -> None:
    blob = _resigned(_edit_timeline(_bundle(), edit))
    assert _run(tmp_path, blob) == 1
    out = capsys.readouterr().out.splitlines()
    assert any(line.startswith(f"TAMPERED: {expected}") for line in out), out
    # incident.json's own statement no longer agrees with timeline.json either.
    assert any("incident.json states timeline" in line for line in out), out


def test_incident_json_must_agree_with_the_timeline(tmp_path: Path, capsys: Any) -> None:
    files = _bundle()
    incident = json.loads(files["incident.json"])
    incident["timeline_integrity"]["event_count"] = 99
    files["incident.json"] = encode_file("incident.json", incident)
    assert _run(tmp_path, _resigned(files)) == 1
    assert "TAMPERED: incident.json states timeline event_count 99, timeline.json gives 8" in (
        capsys.readouterr().out.splitlines()
    )


def test_an_unreadable_bundle_exits_2(tmp_path: Path) -> None:
    assert _run(tmp_path, b"PK\x03\x04 definitely not a zip") == 2
    assert _run(tmp_path, b"{not json") == 2


def test_a_development_signed_bundle_is_flagged(tmp_path: Path, capsys: Any) -> None:
    dev = development_private_key()
    files = _bundle(dev)
    manifest = json.loads(files[MANIFEST])
    assert manifest["development_key"] is True
    assert manifest["signature"]["key_id"] == DEVELOPMENT_KEY_ID
    blob = _resigned(files, dev)
    assert _run(tmp_path, blob, dev) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("WARNING: signed with the public DEVELOPMENT key")
    assert _run(tmp_path, blob, dev, "--strict") == 1


def test_a_real_key_leaves_no_development_mark() -> None:
    manifest = json.loads(_bundle()[MANIFEST])
    assert "development_key" not in manifest
