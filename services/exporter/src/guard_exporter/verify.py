"""``python -m guard_exporter.verify bundle.zip --public-key key.pem``: check a bundle offline.

The public key comes from ``GET /api/v1/exports/signing-key`` (save ``public_key_pem`` as key.pem).
Checks the signed manifest, every file's SHA-256, the timeline chain inside the bundle against the
head incident.json records, and that incident.json agrees with timeline.json.

Exit status: 0 the bundle is intact; 1 tampered (every changed file and broken check is named);
2 the bundle or the key cannot be read. A bundle signed with the public development key prints a
WARNING (exit 0, or 1 with ``--strict``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from guard_exporter.adapters.signing import parse_public_key
from guard_exporter.engines.verify import verify_bundle


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m guard_exporter.verify", description=__doc__)
    parser.add_argument("bundle", type=Path, help="an evidence bundle (.zip or .json)")
    parser.add_argument(
        "--public-key",
        required=True,
        help="the signer's Ed25519 public key: a PEM file, or base64 of the 32 raw bytes",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="treat a bundle signed with the public development key as not verified (exit 1)",
    )
    args = parser.parse_args(argv)
    try:
        key_path = Path(args.public_key)
        key_text = key_path.read_text() if key_path.is_file() else args.public_key
        public_key = parse_public_key(key_text)
        blob = args.bundle.read_bytes()
    except (OSError, ValueError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    report = verify_bundle(blob, public_key)
    for line in report.lines():
        print(line)
    if report.unreadable:
        return 2
    if not report.ok:
        return 1
    return 1 if args.strict and report.warnings else 0


if __name__ == "__main__":
    sys.exit(main())
