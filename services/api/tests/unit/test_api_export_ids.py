"""Export ids the gateway mints carry an HMAC of (tenant, nonce): recognisable, per tenant."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from guard_api.engines.export_ids import mint, minted_for

KEY = b"k" * 32
tenants = st.from_regex(r"tenant-[a-z0-9]{1,20}", fullmatch=True)


@settings(derandomize=True, max_examples=200)
@given(tenant=tenants, other=tenants, nonce=st.binary(min_size=8, max_size=8))
def test_an_id_verifies_for_its_tenant_only(tenant: str, other: str, nonce: bytes) -> None:
    export_id = mint(KEY, tenant, nonce)
    assert export_id.version == 8
    assert export_id.variant == uuid.RFC_4122
    assert minted_for(KEY, tenant, export_id)
    assert minted_for(KEY, other, export_id) is (other == tenant)
    assert not minted_for(b"another-key", tenant, export_id)


def test_random_and_tampered_ids_do_not_verify() -> None:
    export_id = mint(KEY, "tenant-a")
    assert not minted_for(KEY, "tenant-a", uuid.uuid4())
    flipped = bytearray(export_id.bytes)
    flipped[15] ^= 0x01
    assert not minted_for(KEY, "tenant-a", uuid.UUID(bytes=bytes(flipped)))
    assert mint(KEY, "tenant-a") != mint(KEY, "tenant-a")  # a fresh nonce each time
