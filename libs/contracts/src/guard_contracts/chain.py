"""The tamper-evident timeline chain (docs/exports.md): ``hash = sha256(prev_hash ‖ canonical JSON)``.

Ingest writes the chain, the API's proof endpoint, the exporter and the offline ``verify`` check it;
all of them use these functions so they can never disagree on the bytes that are hashed.

Link consistency alone cannot see the newest entries being deleted (what is left is still a valid
chain), so a verdict is also *bound to the head*: the incident row records the hash and the number
of the newest entry (``timeline_head``, ``timeline_length``) in the same transaction as the entry,
and :func:`verify_chain` compares the recomputed chain with them when they are given.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

ALGORITHM = "sha256-chain/canonical-json"


#: ``json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``, built once:
#: the same bytes without re-creating an encoder for every link (exports verify 100,000s).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(entry: Mapping[str, Any]) -> bytes:
    """Sorted keys, no whitespace, UTF-8; datetimes and UUIDs must already be strings."""
    return _CANONICAL.encode(entry).encode()


def link_hash(
    prev_hash: str | None,
    entry: Mapping[str, Any],
    encode: Callable[[Mapping[str, Any]], bytes] = canonical_json,
) -> str:
    """``encode`` must give :func:`canonical_json`'s bytes (a faster equivalent may be passed:
    ``guard_contracts.canonical.canonical_json``)."""
    return hashlib.sha256((prev_hash or "").encode() + encode(entry)).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainVerdict:
    """``verified`` only when every link holds *and* the chain ends at the expected head.

    ``first_broken_sequence`` is the 1-based position of the first link that fails (None when the
    links hold); ``problems`` says in words what is wrong, one line each, for people and logs.
    """

    verified: bool
    root_hash: str | None
    event_count: int
    first_broken_sequence: int | None = None
    expected_head: str | None = None
    expected_length: int | None = None
    problems: tuple[str, ...] = ()

    @property
    def head_bound(self) -> bool:
        """Whether the verdict was compared with a recorded head at all."""
        return self.expected_length is not None


def verify_chain(
    links: Iterable[tuple[Mapping[str, Any], str | None, str]],
    *,
    expected_head: str | None = None,
    expected_length: int | None = None,
) -> ChainVerdict:
    """Check (entry, stored prev_hash, stored hash) triples in the order given.

    The links are intact when each entry's ``sequence`` is its position (1, 2, 3, …), every stored
    prev_hash is the previous stored hash, and every stored hash equals the one recomputed from
    the entry. With ``expected_length`` (the incident's ``timeline_length``) the chain must also
    have exactly that many links and end at ``expected_head`` (``timeline_head``): this is what
    catches the newest entries being deleted. ``root_hash`` is the recomputed head.
    """
    expected_prev: str | None = None
    count = 0
    broken: int | None = None
    problems: list[str] = []
    for entry, prev_hash, stored in links:
        count += 1
        recomputed = link_hash(expected_prev, entry)
        if broken is None:
            if entry.get("sequence") != count:
                broken = count
                problems.append(
                    f"entry {count} carries sequence {entry.get('sequence')!r}: "
                    "entries are missing, duplicated or out of order"
                )
            elif prev_hash != expected_prev:
                broken = count
                problems.append(f"entry {count} does not link to the entry before it")
            elif recomputed != stored:
                broken = count
                problems.append(f"entry {count} was changed after it was written")
        expected_prev = recomputed
    if expected_length is not None:
        if count != expected_length:
            problems.append(
                f"the timeline has {count} entries but the incident records {expected_length}"
            )
        elif broken is None and expected_prev != expected_head:
            problems.append("the timeline does not end at the head recorded on the incident")
    return ChainVerdict(
        verified=not problems,
        root_hash=expected_prev,
        event_count=count,
        first_broken_sequence=broken,
        expected_head=expected_head,
        expected_length=expected_length,
        problems=tuple(problems),
    )
