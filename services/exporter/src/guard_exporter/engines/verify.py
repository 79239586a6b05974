"""Offline verification of an evidence bundle (ZIP or JSON): which file changed, if any.

Three layers, each naming what is wrong (docs/exports.md, "Verifying a bundle"):

1. the manifest's Ed25519 signature and every listed file's SHA-256 (a changed file is named);
2. the timeline chain inside the bundle, recomputed from timeline.json and bound to the head that
   incident.json records (``timeline_head``, ``timeline_length``): truncation, a deletion in the
   middle, reordering and edited entries are each caught even if the manifest was re-signed;
3. incident.json agrees with timeline.json (same incident, same verdict, head and count).

A bundle signed with the public development key is reported with a warning.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from guard_contracts.chain import verify_chain
from guard_exporter.engines.audit_period import (
    AUDIT_FILES,
    AUDIT_FORMAT,
    INCIDENTS_JSONL,
    PROOFS_JSONL,
    TIMELINES_JSONL,
)
from guard_exporter.engines.bundle import (
    BUNDLE_FORMAT,
    DATA_FILES,
    INCIDENT,
    MANIFEST,
    TIMELINE,
    bundle_hash,
    encode_file,
    signed_part,
)
from guard_exporter.engines.keys import DEVELOPMENT_KEY_ID, DEVELOPMENT_WARNING, key_id

_CHAIN_FIELDS = ("sequence", "entry_type", "occurred_at", "source_event_id", "data")


@dataclass(slots=True)
class VerifyReport:
    """``changed`` names every file whose bytes differ from the signed manifest."""

    changed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Not a bundle at all (not a ZIP, not JSON): nothing could be checked.
    unreadable: bool = False
    bundle_sha256: str | None = None
    key_id: str | None = None

    @property
    def ok(self) -> bool:
        return not self.changed and not self.problems

    @property
    def development_key(self) -> bool:
        return self.key_id == DEVELOPMENT_KEY_ID

    def lines(self) -> list[str]:
        warnings = [f"WARNING: {w}" for w in self.warnings]
        if self.ok:
            return [*warnings, f"OK: bundle {self.bundle_sha256} signed by key {self.key_id}"]
        return (
            warnings
            + [f"CHANGED: {name}" for name in self.changed]
            + [f"TAMPERED: {p}" for p in self.problems]
        )


def verify_bundle(blob: bytes, public_key: Ed25519PublicKey) -> VerifyReport:
    """A ZIP starts with ``PK``; anything else is read as a JSON bundle."""
    if blob[:2] == b"PK":
        return _verify_zip(blob, public_key)
    return _verify_json(blob, public_key)


def _verify_zip(blob: bytes, public_key: Ed25519PublicKey) -> VerifyReport:
    report = VerifyReport()
    try:
        archive = zipfile.ZipFile(io.BytesIO(blob))
    except zipfile.BadZipFile as exc:
        report.problems.append(f"not a readable ZIP archive: {exc}")
        report.unreadable = True
        return report
    bodies: dict[str, bytes] = {}
    with archive:
        for name in archive.namelist():
            try:
                bodies[name] = archive.read(name)
            except (zipfile.BadZipFile, zlib.error, OSError) as exc:
                # A flipped byte inside a compressed member fails its CRC or its inflate.
                report.changed.append(name)
                report.problems.append(f"{name}: unreadable ({exc})")
    if MANIFEST in report.changed:
        return report
    manifest = _parse_manifest(bodies.get(MANIFEST), report)
    if manifest is not None:
        _check(manifest, bodies, public_key, report)
    return report


def _verify_json(blob: bytes, public_key: Ed25519PublicKey) -> VerifyReport:
    report = VerifyReport()
    try:
        document = orjson.loads(blob)
        manifest = document["manifest"]
        sections = document["files"]
    except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
        report.problems.append(f"not a JSON evidence bundle: {exc}")
        report.unreadable = True
        return report
    bodies = {name: encode_file(name, content) for name, content in sections.items()}
    if isinstance(manifest, dict):
        _check(manifest, bodies, public_key, report)
    else:
        report.changed.append(MANIFEST)
    return report


def _parse_manifest(body: bytes | None, report: VerifyReport) -> dict[str, Any] | None:
    if body is None:
        report.problems.append(f"{MANIFEST} is missing")
        return None
    try:
        manifest = orjson.loads(body)
    except orjson.JSONDecodeError:
        report.changed.append(MANIFEST)
        return None
    if not isinstance(manifest, dict):
        report.changed.append(MANIFEST)
        return None
    return manifest


def _check(
    manifest: dict[str, Any],
    bodies: Mapping[str, bytes],
    public_key: Ed25519PublicKey,
    report: VerifyReport,
) -> None:
    if not _signature_valid(manifest, public_key, report):
        report.changed.append(MANIFEST)
    if manifest.get("format") not in (BUNDLE_FORMAT, AUDIT_FORMAT):
        report.problems.append(f"unknown bundle format {manifest.get('format')!r}")
    listed = manifest.get("files") or []
    for entry in listed:
        name = entry.get("name")
        body = bodies.get(name)
        if body is None:
            if name not in report.changed:
                report.problems.append(f"{name} is missing")
        elif hashlib.sha256(body).hexdigest() != entry.get("sha256"):
            report.changed.append(name)
    names = {entry.get("name") for entry in listed}
    for extra in sorted(set(bodies) - names - {MANIFEST}):
        report.problems.append(f"{extra} is not listed in the manifest")
    audit = manifest.get("format") == AUDIT_FORMAT
    missing = [n for n in (AUDIT_FILES if audit else DATA_FILES) if n not in names]
    if missing:
        report.problems.append(f"manifest lists no {', '.join(missing)}")
    if listed and bundle_hash(listed) != manifest.get("bundle_sha256"):
        report.problems.append("bundle_sha256 does not match the listed file hashes")
    report.bundle_sha256 = manifest.get("bundle_sha256")
    if audit:
        _check_audit_contents(bodies, report)
    else:
        _check_contents(manifest, bodies, report)


def _check_audit_contents(bodies: Mapping[str, bytes], report: VerifyReport) -> None:
    """Every incident's timeline in timelines.jsonl re-verified against the head incidents.jsonl
    records for it, and proofs.jsonl stating the same verdict."""
    try:
        heads = {
            row["incident_id"]: (row.get("timeline_head"), row.get("timeline_length"))
            for row in map(orjson.loads, bodies[INCIDENTS_JSONL].splitlines())
        }
        stated = {
            row["incident_id"]: row.get("verification_status")
            for row in map(orjson.loads, bodies[PROOFS_JSONL].splitlines())
        }
        links: dict[str, list[tuple[dict[str, Any], Any, Any]]] = {i: [] for i in heads}
        for row in map(orjson.loads, bodies[TIMELINES_JSONL].splitlines()):
            link = ({k: row[k] for k in _CHAIN_FIELDS}, row["prev_hash"], row["hash"])
            links.setdefault(row["incident_id"], []).append(link)
    except (KeyError, TypeError, orjson.JSONDecodeError) as exc:
        report.problems.append(f"the incident files cannot be read: {exc}")
        return
    for incident_id, incident_links in links.items():
        head, length = heads.get(incident_id, (None, None))
        if incident_id not in heads:
            report.problems.append(f"{TIMELINES_JSONL}: entries of unknown incident {incident_id}")
            continue
        verdict = verify_chain(incident_links, expected_head=head, expected_length=length)
        status = "VERIFIED" if verdict.verified else "TAMPERED"
        if status != stated.get(incident_id):
            problems = "; ".join(verdict.problems) or "it verifies"
            report.problems.append(
                f"incident {incident_id}: {PROOFS_JSONL} says {stated.get(incident_id)}, the "
                f"timeline gives {status} ({problems})"
            )


def _json(name: str, bodies: Mapping[str, bytes], report: VerifyReport) -> Any:
    try:
        return orjson.loads(bodies[name])
    except (KeyError, orjson.JSONDecodeError):
        report.problems.append(f"{name} is missing or is not JSON")
        return None


def _check_contents(
    manifest: Mapping[str, Any], bodies: Mapping[str, bytes], report: VerifyReport
) -> None:
    """Layers 2 and 3: the chain in timeline.json against the head incident.json records."""
    incident = _json(INCIDENT, bodies, report)
    timeline = _json(TIMELINE, bodies, report)
    if not isinstance(incident, dict) or not isinstance(timeline, list):
        return
    try:
        links = [
            ({k: row[k] for k in _CHAIN_FIELDS}, row["prev_hash"], row["hash"]) for row in timeline
        ]
    except (KeyError, TypeError):
        report.problems.append(f"{TIMELINE}: an entry lacks a chain field")
        return
    verdict = verify_chain(
        links,
        expected_head=incident.get("timeline_head"),
        expected_length=incident.get("timeline_length"),
    )
    for problem in verdict.problems:
        report.problems.append(f"{TIMELINE}: {problem}")
    if incident.get("incident_id") != manifest.get("incident_id"):
        report.problems.append(f"{INCIDENT} describes another incident than the manifest")
    stated = incident.get("timeline_integrity") or {}
    status = "VERIFIED" if verdict.verified else "TAMPERED"
    for name, recomputed in (
        ("verification_status", status),
        ("root_hash", verdict.root_hash),
        ("event_count", verdict.event_count),
    ):
        if stated.get(name) != recomputed:
            report.problems.append(
                f"{INCIDENT} states timeline {name} {stated.get(name)!r}, "
                f"{TIMELINE} gives {recomputed!r}"
            )


def _signature_valid(
    manifest: dict[str, Any], public_key: Ed25519PublicKey, report: VerifyReport
) -> bool:
    signature = manifest.get("signature") or {}
    report.key_id = key_id(public_key)
    if report.development_key or signature.get("key_id") == DEVELOPMENT_KEY_ID:
        report.warnings.append(DEVELOPMENT_WARNING)
    if signature.get("key_id") not in (None, report.key_id):
        report.problems.append(
            f"signed by key {signature.get('key_id')}, not by the given key {report.key_id}"
        )
    try:
        value = base64.b64decode(signature.get("value", ""), validate=True)
        public_key.verify(value, signed_part(manifest))
    except (InvalidSignature, binascii.Error, ValueError, TypeError):
        return False
    return True
