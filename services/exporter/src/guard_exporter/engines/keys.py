"""The development signing key, and how anyone can recognise it (docs/exports.md, "Signing").

The development key is derived from a string published in this repository, so *anyone* can sign
with it: a bundle signed with it proves nothing. It exists so a laptop or CI run can export without
configuring a key. The exporter refuses it outside ``development``; everything it signs with it
says so (manifest, PDFs, ``/api/v1/exports/signing-key``), and ``verify`` warns.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

_DEVELOPMENT_SEED = hashlib.sha256(b"guard-exporter development signing key").digest()
DEVELOPMENT_WARNING = (
    "signed with the public DEVELOPMENT key: anyone can produce this signature, so it proves "
    "nothing about where the artifact came from"
)


def development_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_DEVELOPMENT_SEED)


def raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short, stable name for a public key: the first 16 hex digits of SHA-256 of its raw bytes."""
    return hashlib.sha256(raw_public_key(public_key)).hexdigest()[:16]


DEVELOPMENT_KEY_ID = key_id(development_private_key().public_key())


def is_development_key(public_key: Ed25519PublicKey) -> bool:
    return key_id(public_key) == DEVELOPMENT_KEY_ID
