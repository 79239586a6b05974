"""``python -m guard_exporter.verify bundle.zip --public-key key.pem``: check a bundle offline.

Exit status 0 when every file matches the signed manifest, 1 when something changed (each
changed file is named), 2 when the input cannot be read.
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
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
