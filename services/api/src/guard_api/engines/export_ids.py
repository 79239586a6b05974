"""Export ids the gateway mints and can recognise as its own (docs/operations-gateway.md).

The gateway writes no table (the exporter records the job when it reads ``export.requested``), so
between the 202 and that record it cannot look the export up. Instead the id itself carries the
proof: a version-8 (custom) UUID whose first 8 bytes are a random nonce and whose last 8 bytes
are HMAC-SHA256(key, tenant_id | nonce), less the 6 bits the UUID version and variant take. An
id that verifies for the caller's tenant is one this gateway (or a replica sharing its key)
minted for that tenant; any other id, or another tenant's, does not verify.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid

_VERSION_BYTE = 6  # high nibble = UUID version
_VARIANT_BYTE = 8  # two high bits = RFC 4122 variant (10)


def _mac(key: bytes, tenant_id: str, nonce: bytes) -> bytes:
    return hmac.new(key, tenant_id.encode() + b"|" + nonce, hashlib.sha256).digest()[:8]


def mint(key: bytes, tenant_id: str, nonce: bytes | None = None) -> uuid.UUID:
    raw = bytearray(nonce if nonce is not None else secrets.token_bytes(8))
    if len(raw) != 8:
        raise ValueError("the nonce is 8 bytes")
    raw[_VERSION_BYTE] = (raw[_VERSION_BYTE] & 0x0F) | 0x80
    tag = bytearray(_mac(key, tenant_id, bytes(raw)))
    tag[0] = (tag[0] & 0x3F) | 0x80
    return uuid.UUID(bytes=bytes(raw + tag))


def minted_for(key: bytes, tenant_id: str, export_id: uuid.UUID) -> bool:
    """True when ``export_id`` was minted under ``key`` for ``tenant_id``."""
    raw = export_id.bytes
    if export_id.version != 8 or raw[_VARIANT_BYTE] & 0xC0 != 0x80:
        return False
    expected = bytearray(_mac(key, tenant_id, raw[:8]))
    expected[0] = (expected[0] & 0x3F) | 0x80
    return hmac.compare_digest(bytes(expected), raw[8:])
