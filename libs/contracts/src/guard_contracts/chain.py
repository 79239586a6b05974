"""The tamper-evident timeline chain (SPEC §3): ``hash = sha256(prev_hash ‖ canonical JSON)``.

Ingest writes the chain, the API's proof endpoint and the exporter verify it; all three use these
functions so they can never disagree on the bytes that are hashed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

ALGORITHM = "sha256-chain/canonical-json"


def canonical_json(entry: Mapping[str, Any]) -> bytes:
    """Sorted keys, no whitespace, UTF-8; datetimes and UUIDs must already be strings."""
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def link_hash(prev_hash: str | None, entry: Mapping[str, Any]) -> str:
    return hashlib.sha256((prev_hash or "").encode() + canonical_json(entry)).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainVerdict:
    verified: bool
    root_hash: str | None
    event_count: int
    first_broken_sequence: int | None = None


def verify_chain(links: Iterable[tuple[Mapping[str, Any], str | None, str]]) -> ChainVerdict:
    """Check (entry, stored prev_hash, stored hash) triples in sequence order.

    The chain is intact when every stored prev_hash is the previous stored hash and every stored
    hash equals the hash recomputed from the entry. ``root_hash`` is the recomputed head.
    """
    expected_prev: str | None = None
    count = 0
    broken: int | None = None
    for entry, prev_hash, stored in links:
        count += 1
        recomputed = link_hash(expected_prev, entry)
        if broken is None and (prev_hash != expected_prev or recomputed != stored):
            broken = count
        expected_prev = recomputed
    return ChainVerdict(broken is None, expected_prev, count, broken)
