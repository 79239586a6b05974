"""The Ed25519 signing key from settings: a PKCS#8 PEM, or the base64 of the 32-byte raw seed."""

from __future__ import annotations

import base64
import binascii
import logging
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
    load_pem_public_key,
)

from guard_exporter.engines.keys import development_private_key

log = logging.getLogger(__name__)


def parse_private_key(text: str) -> Ed25519PrivateKey:
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = load_pem_private_key(text.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the signing key is not an Ed25519 key")
        return key
    try:
        seed = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ValueError("the signing key is neither PEM nor base64") from None
    if len(seed) != 32:
        raise ValueError(f"a raw Ed25519 seed has 32 bytes, not {len(seed)}")
    return Ed25519PrivateKey.from_private_bytes(seed)


def parse_public_key(text: str) -> Ed25519PublicKey:
    """A PEM public key, or the base64 of the 32 raw bytes (as in a bundle's manifest)."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = load_pem_public_key(text.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("the public key is not an Ed25519 key")
        return key
    raw = base64.b64decode(text, validate=True)
    return Ed25519PublicKey.from_public_bytes(raw)


def load_signing_key(inline: str | None, path: Path | None) -> Ed25519PrivateKey:
    if inline:
        return parse_private_key(inline)
    if path is not None:
        return parse_private_key(path.read_text())
    log.warning(
        "no signing key configured (GUARD_EXPORTER_SIGNING_KEY / GUARD_EXPORTER_SIGNING_KEY_FILE);"
        " signing with the public DEVELOPMENT key, which proves nothing: development only"
    )
    return development_private_key()


def public_pem(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
