"""Offline verification of an evidence bundle (ZIP or JSON): which file changed, if any."""

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

from guard_exporter.engines.bundle import (
    BUNDLE_FORMAT,
    DATA_FILES,
    MANIFEST,
    bundle_hash,
    encode_file,
    key_id,
    signed_part,
)


@dataclass(slots=True)
class VerifyReport:
    """``changed`` names every file whose bytes differ from the signed manifest."""

    changed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    bundle_sha256: str | None = None
    key_id: str | None = None

    @property
    def ok(self) -> bool:
        return not self.changed and not self.problems

    def lines(self) -> list[str]:
        if self.ok:
            return [f"OK: bundle {self.bundle_sha256} signed by key {self.key_id}"]
        return [f"CHANGED: {name}" for name in self.changed] + [
            f"PROBLEM: {p}" for p in self.problems
        ]


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
    if manifest.get("format") != BUNDLE_FORMAT:
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
    missing = [n for n in DATA_FILES if n not in names]
    if missing:
        report.problems.append(f"manifest lists no {', '.join(missing)}")
    if listed and bundle_hash(listed) != manifest.get("bundle_sha256"):
        report.problems.append("bundle_sha256 does not match the listed file hashes")
    report.bundle_sha256 = manifest.get("bundle_sha256")


def _signature_valid(
    manifest: dict[str, Any], public_key: Ed25519PublicKey, report: VerifyReport
) -> bool:
    signature = manifest.get("signature") or {}
    report.key_id = key_id(public_key)
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
