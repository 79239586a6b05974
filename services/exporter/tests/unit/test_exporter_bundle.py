"""Evidence bundle: contents, determinism, signature, offline verification and tampering."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from pathlib import Path

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from exporter_samples import BASE_TIME, as_incident_data, sample_rows

from guard_contracts.enums import ExportFormat, ExportKind
from guard_exporter.engines.bundle import DATA_FILES, MANIFEST
from guard_exporter.engines.records import ExportSpec
from guard_exporter.engines.render import render
from guard_exporter.engines.verify import verify_bundle
from guard_exporter.verify import main as verify_main

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
EXPORT_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")


def _spec(incident_id: uuid.UUID, fmt: ExportFormat = ExportFormat.ZIP) -> ExportSpec:
    return ExportSpec(
        EXPORT_ID,
        "tenant-a",
        incident_id,
        ExportKind.EVIDENCE,
        fmt,
        "auditor@example.com",
        BASE_TIME,
        "quarterly audit",
        "Audit committee",
    )


@pytest.fixture(scope="module")
def rows():
    return sample_rows("tenant-a", n_timeline=15, n_steps=25)


@pytest.fixture(scope="module")
def bundle_zip(rows) -> bytes:
    return render(_spec(rows.incident["incident_id"]), as_incident_data(rows), KEY).content


def _members(blob: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_zip_holds_the_five_files_in_fixed_order_with_fixed_times(bundle_zip: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(bundle_zip)) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == [*DATA_FILES, MANIFEST]
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}


def test_manifest_hashes_every_file_and_the_whole(bundle_zip: bytes, rows) -> None:
    files = _members(bundle_zip)
    manifest = json.loads(files[MANIFEST])
    listing = manifest["files"]
    for entry in listing:
        assert hashlib.sha256(files[entry["name"]]).hexdigest() == entry["sha256"]
        assert len(files[entry["name"]]) == entry["size_bytes"]
    sha256sum = "".join(f"{e['sha256']}  {e['name']}\n" for e in listing)
    assert manifest["bundle_sha256"] == hashlib.sha256(sha256sum.encode()).hexdigest()
    assert manifest["incident_id"] == str(rows.incident["incident_id"])
    assert manifest["signature"]["algorithm"] == "Ed25519"


def test_files_carry_the_incident_timeline_events_and_steps(bundle_zip: bytes, rows) -> None:
    files = _members(bundle_zip)
    incident = json.loads(files["incident.json"])
    assert incident["incident_id"] == str(rows.incident["incident_id"])
    assert incident["cost_impact_usd"] == "15"  # 12 events × $1.25, exact
    assert incident["timeline_integrity"]["verification_status"] == "VERIFIED"
    assert incident["timeline_integrity"]["root_hash"] == rows.timeline[-1]["hash"]
    timeline = json.loads(files["timeline.json"])
    assert [t["hash"] for t in timeline] == [r["hash"] for r in rows.timeline]
    events = files["events.jsonl"].decode().splitlines()
    assert len(events) == len(rows.events)
    assert json.loads(events[0])["raw_sha256"] == hashlib.sha256(rows.events[0]["raw"]).hexdigest()
    steps = [json.loads(line) for line in files["run_steps.jsonl"].decode().splitlines()]
    assert [s["step_index"] for s in steps] == list(range(25))
    assert steps[0]["cost_usd"] == "0.012345"


@pytest.mark.parametrize("fmt", [ExportFormat.ZIP, ExportFormat.JSON])
def test_same_request_rendered_twice_gives_identical_bytes(rows, fmt: ExportFormat) -> None:
    first = render(_spec(rows.incident["incident_id"], fmt), as_incident_data(rows), KEY)
    second = render(_spec(rows.incident["incident_id"], fmt), as_incident_data(rows), KEY)
    assert first.content == second.content
    assert first.sha256 == second.sha256


def test_json_and_zip_bundles_share_the_bundle_hash(rows, bundle_zip: bytes) -> None:
    as_json = render(
        _spec(rows.incident["incident_id"], ExportFormat.JSON), as_incident_data(rows), KEY
    ).content
    zipped = json.loads(_members(bundle_zip)[MANIFEST])["bundle_sha256"]
    assert json.loads(as_json)["manifest"]["bundle_sha256"] == zipped
    assert verify_bundle(as_json, KEY.public_key()).ok


def test_json_bundle_is_the_compact_sorted_encoding_of_its_tree(rows) -> None:
    blob = render(
        _spec(rows.incident["incident_id"], ExportFormat.JSON), as_incident_data(rows), KEY
    ).content
    tree = json.loads(blob)
    assert sorted(tree["files"]) == sorted(DATA_FILES)
    assert orjson.dumps(tree, option=orjson.OPT_SORT_KEYS) == blob


def test_untouched_bundle_verifies(bundle_zip: bytes) -> None:
    report = verify_bundle(bundle_zip, KEY.public_key())
    assert report.ok, report.lines()


def _rezip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return out.getvalue()


@pytest.mark.parametrize("victim", [*DATA_FILES])
def test_one_flipped_byte_in_a_file_is_named(bundle_zip: bytes, victim: str) -> None:
    files = _members(bundle_zip)
    body = bytearray(files[victim])
    body[len(body) // 2] ^= 0x01
    files[victim] = bytes(body)
    report = verify_bundle(_rezip(files), KEY.public_key())
    assert report.changed == [victim]
    assert not report.ok


def test_flipped_byte_inside_the_archive_names_the_member(bundle_zip: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(bundle_zip)) as archive:
        info = archive.getinfo("timeline.json")
    # Local header (30 bytes + name) precedes the member's compressed data.
    offset = info.header_offset + 30 + len(info.filename) + 10
    blob = bytearray(bundle_zip)
    blob[offset] ^= 0xFF
    report = verify_bundle(bytes(blob), KEY.public_key())
    assert "timeline.json" in report.changed


def test_edited_manifest_breaks_the_signature(bundle_zip: bytes) -> None:
    files = _members(bundle_zip)
    manifest = json.loads(files[MANIFEST])
    manifest["prepared_for"] = "someone else"
    files[MANIFEST] = json.dumps(manifest).encode()
    report = verify_bundle(_rezip(files), KEY.public_key())
    assert report.changed == [MANIFEST]


def test_another_key_does_not_verify(bundle_zip: bytes) -> None:
    other = Ed25519PrivateKey.from_private_bytes(bytes(32))
    report = verify_bundle(bundle_zip, other.public_key())
    assert MANIFEST in report.changed
    assert any("not by the given key" in p for p in report.problems)


def test_verify_command_names_the_changed_file(
    bundle_zip: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pem = tmp_path / "key.pem"
    pem.write_bytes(KEY.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    good = tmp_path / "bundle.zip"
    good.write_bytes(bundle_zip)
    assert verify_main([str(good), "--public-key", str(pem)]) == 0
    assert capsys.readouterr().out.startswith("OK: bundle ")

    files = _members(bundle_zip)
    files["run_steps.jsonl"] = files["run_steps.jsonl"].replace(b'"ok"', b'"no"', 1)
    bad = tmp_path / "tampered.zip"
    bad.write_bytes(_rezip(files))
    assert verify_main([str(bad), "--public-key", str(pem)]) == 1
    assert capsys.readouterr().out.splitlines() == ["CHANGED: run_steps.jsonl"]


def test_tampered_timeline_row_is_reported_in_the_bundle(rows) -> None:
    broken = sample_rows("tenant-a", n_timeline=15, n_steps=2)
    broken.timeline[3]["data"] = {"event": {"action": "edited"}}
    data = as_incident_data(broken)
    files = _members(render(_spec(broken.incident["incident_id"]), data, KEY).content)
    integrity = json.loads(files["incident.json"])["timeline_integrity"]
    assert integrity["verification_status"] == "TAMPERED"
    assert integrity["first_broken_sequence"] == 4
