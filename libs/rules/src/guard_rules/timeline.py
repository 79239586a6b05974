"""What an incident's timeline hashes, and checking a stored timeline against it.

The chain itself (``hash = sha256(prev_hash || canonical JSON)``) is ``guard_contracts.chain``.
This module says which fields of a timeline row form that JSON, so the writer (ingest) and the
two readers that verify it (the API's proof, the exporter's bundle) can never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from guard_contracts.chain import ChainVerdict, verify_chain


class TimelineLink(Protocol):
    """A stored timeline row as the rules read it (driver rows and exporter records fit)."""

    @property
    def sequence(self) -> int: ...
    @property
    def entry_type(self) -> str: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def source_event_id(self) -> UUID | None: ...
    @property
    def data(self) -> dict[str, Any]: ...
    @property
    def prev_hash(self) -> str | None: ...
    @property
    def hash(self) -> str: ...


def hash_input(
    sequence: int,
    entry_type: str,
    occurred_at: datetime,
    source_event_id: UUID | None,
    data: dict[str, Any],
) -> dict[str, Any]:
    """Exactly the mapping that is hashed: sequence, entry type, ISO time, source event id, data."""
    return {
        "sequence": sequence,
        "entry_type": str(entry_type),
        "occurred_at": occurred_at.isoformat(),
        "source_event_id": str(source_event_id) if source_event_id is not None else None,
        "data": data,
    }


def hash_input_of(link: TimelineLink) -> dict[str, Any]:
    """:func:`hash_input` rebuilt from a stored row."""
    return hash_input(
        link.sequence, link.entry_type, link.occurred_at, link.source_event_id, link.data
    )


def verify_timeline(
    links: Iterable[TimelineLink],
    *,
    expected_head: str | None = None,
    expected_length: int | None = None,
) -> ChainVerdict:
    """Recompute the chain over the rows in sequence order; the verdict names the first break.

    With the incident's recorded head (``timeline_head`` / ``timeline_length``) the chain is also
    bound to it, which catches deleted newest entries (docs/exports.md, "Proofs")."""
    ordered = sorted(links, key=lambda link: link.sequence)
    return verify_chain(
        ((hash_input_of(link), link.prev_hash, link.hash) for link in ordered),
        expected_head=expected_head,
        expected_length=expected_length,
    )
