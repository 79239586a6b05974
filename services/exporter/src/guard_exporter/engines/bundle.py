"""The signed evidence bundle (docs/product/exports.md): four data files, a manifest of their SHA-256, Ed25519.

The bundle hash is ``sha256`` of the lines ``"<sha256>  <name>\\n"`` of the data files in manifest
order — the output of ``sha256sum incident.json timeline.json events.jsonl run_steps.jsonl`` — so an
auditor can recompute it with shell tools. It covers only incident data (not who asked or when), so
every export of the same incident state has the same bundle hash; the SOC2 attestation quotes it.

Determinism: sorted keys, fixed file order, fixed ZIP timestamps and attributes, and Ed25519
signatures are deterministic (RFC 8032), so the same request rendered twice gives identical bytes.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from guard_contracts.chain import ALGORITHM, ChainVerdict, canonical_json, verify_chain
from guard_exporter.engines.keys import (
    DEVELOPMENT_WARNING,
    is_development_key,
    key_id,
    raw_public_key,
)
from guard_exporter.engines.records import ExportSpec, IncidentData
from guard_exporter.engines.serialize import (
    event_view,
    incident_view,
    iso,
    run_step_view,
    timeline_view,
)
from guard_rules.timeline import hash_input_of

BUNDLE_FORMAT = "guard.evidence-bundle.v1"
MANIFEST = "manifest.json"
INCIDENT = "incident.json"
TIMELINE = "timeline.json"
EVENTS = "events.jsonl"
RUN_STEPS = "run_steps.jsonl"
DATA_FILES = (INCIDENT, TIMELINE, EVENTS, RUN_STEPS)
#: ZIP stores DOS times, which start in 1980; a constant keeps the archive reproducible.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_JSON_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2


def encode_file(name: str, content: Any) -> bytes:
    """The exact bytes of a bundle file: pretty JSON for ``.json``, one compact object a line for
    ``.jsonl``. ``verify`` re-encodes a JSON bundle's sections with this same function."""
    if name.endswith(".jsonl"):
        return b"".join(orjson.dumps(row, option=orjson.OPT_SORT_KEYS) + b"\n" for row in content)
    return orjson.dumps(content, option=_JSON_OPTIONS) + b"\n"


def bundle_hash(files: Sequence[Mapping[str, Any]]) -> str:
    listing = "".join(f"{f['sha256']}  {f['name']}\n" for f in files)
    return hashlib.sha256(listing.encode()).hexdigest()


def signed_part(manifest: Mapping[str, Any]) -> bytes:
    """The bytes the signature covers: the canonical JSON of the manifest without its signature."""
    return canonical_json({k: v for k, v in manifest.items() if k != "signature"})


def integrity_view(verdict: ChainVerdict) -> dict[str, Any]:
    """The chain verdict as written into incident.json (``verify`` recomputes and compares it)."""
    return {
        "verification_status": "VERIFIED" if verdict.verified else "TAMPERED",
        "algorithm": ALGORITHM,
        "root_hash": verdict.root_hash,
        "event_count": verdict.event_count,
        "first_broken_sequence": verdict.first_broken_sequence,
        "recorded_root_hash": verdict.expected_head,
        "recorded_event_count": verdict.expected_length,
        "problems": list(verdict.problems),
    }


def _integrity(data: IncidentData, entries: list[dict[str, Any]]) -> dict[str, Any]:
    """The chain recomputed and bound to the head the incident row records (docs/exports.md)."""
    inc = data.incident
    verdict = verify_chain(
        ((entry, r.prev_hash, r.hash) for entry, r in zip(entries, data.timeline, strict=True)),
        expected_head=inc.timeline_head,
        expected_length=inc.timeline_length,
    )
    return integrity_view(verdict)


def encode_data_files(data: IncidentData) -> tuple[dict[str, bytes], dict[str, Any]]:
    """The four data files' bytes, in bundle order, and the timeline's integrity verdict.

    Row views are encoded as they are made (generators), so a large incident never holds every
    view at once — only the encoded bytes.
    """
    entries = [hash_input_of(r) for r in data.timeline]
    integrity = _integrity(data, entries)
    incident = incident_view(data.incident) | {"timeline_integrity": integrity}
    files = {
        INCIDENT: encode_file(INCIDENT, incident),
        TIMELINE: encode_file(
            TIMELINE,
            [timeline_view(entry, r) for entry, r in zip(entries, data.timeline, strict=True)],
        ),
        EVENTS: encode_file(EVENTS, (event_view(e) for e in data.events)),
        RUN_STEPS: encode_file(RUN_STEPS, (run_step_view(s) for s in data.run_steps)),
    }
    return files, integrity


@dataclass(frozen=True, slots=True)
class Bundle:
    files: dict[str, bytes]  # data files, in bundle order
    manifest: dict[str, Any]
    integrity: dict[str, Any]  # the timeline chain verdict written into incident.json

    @property
    def bundle_sha256(self) -> str:
        return str(self.manifest["bundle_sha256"])


def build_bundle(spec: ExportSpec, data: IncidentData, key: Ed25519PrivateKey) -> Bundle:
    files, integrity = encode_data_files(data)
    listing = [
        {"name": name, "sha256": hashlib.sha256(body).hexdigest(), "size_bytes": len(body)}
        for name, body in files.items()
    ]
    manifest: dict[str, Any] = {
        "format": BUNDLE_FORMAT,
        "export_id": str(spec.export_id),
        "tenant_id": spec.tenant_id,
        "incident_id": str(spec.incident_id),
        "requested_by": spec.requested_by,
        "requested_at": iso(spec.requested_at),
        "export_reason": spec.export_reason,
        "prepared_for": spec.prepared_for,
        "files": listing,
        "bundle_sha256": bundle_hash(listing),
    }
    return Bundle(files, sign_manifest(manifest, key), integrity)


def sign_manifest(manifest: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """Mark a development-key manifest as such, then add the Ed25519 signature over the rest."""
    public = key.public_key()
    if is_development_key(public):
        manifest["development_key"] = True
        manifest["warning"] = DEVELOPMENT_WARNING
    manifest["signature"] = {
        "algorithm": "Ed25519",
        "key_id": key_id(public),
        "public_key": base64.b64encode(raw_public_key(public)).decode(),
        "signed": "canonical JSON of this manifest without the signature field",
        "value": base64.b64encode(key.sign(signed_part(manifest))).decode(),
    }
    return manifest


def zip_bundle(bundle: Bundle) -> bytes:
    out = io.BytesIO()
    members = [*bundle.files.items(), (MANIFEST, encode_file(MANIFEST, bundle.manifest))]
    with zipfile.ZipFile(out, "w") as archive:
        for name, body in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, whatever the host, so the bytes do not depend on it
            info.external_attr = 0o644 << 16
            archive.writestr(info, body, compresslevel=6)
    return out.getvalue()


def _compact_section(name: str, body: bytes) -> bytes:
    if name.endswith(".jsonl"):
        return b"[" + b",".join(body.splitlines()) + b"]"
    return orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS)


def json_bundle(bundle: Bundle) -> bytes:
    """One compact JSON document ``{"files": {name: content}, "manifest": {...}}``, keys sorted.

    Spliced from the files' bytes (each JSON Lines file becomes an array of its lines), which is
    byte for byte what encoding the whole tree compactly would give, without building the tree.
    ``verify`` re-encodes each section with :func:`encode_file` to check it.
    """
    sections = b",".join(
        orjson.dumps(name) + b":" + _compact_section(name, bundle.files[name])
        for name in sorted(bundle.files)
    )
    manifest = orjson.dumps(bundle.manifest, option=orjson.OPT_SORT_KEYS)
    return b'{"files":{' + sections + b'},"manifest":' + manifest + b"}"


#: Renders a bundle in a format; keyed by the export format's value.
BUNDLE_WRITERS: dict[str, Callable[[Bundle], bytes]] = {"zip": zip_bundle, "json": json_bundle}
