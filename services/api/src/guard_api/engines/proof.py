"""Proof verdict (O5): recompute the incident's timeline hash chain and bind it to the head."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from guard_contracts.chain import ALGORITHM, ChainVerdict, verify_chain


class TimelineLink(Protocol):
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


def hashed_entry(link: TimelineLink) -> dict[str, Any]:
    """Exactly what ingest hashed (common brief): sequence, entry_type, ISO time, source id, data."""
    return {
        "sequence": link.sequence,
        "entry_type": link.entry_type,
        "occurred_at": link.occurred_at.isoformat(),
        "source_event_id": str(link.source_event_id) if link.source_event_id else None,
        "data": link.data,
    }


def verify_timeline(
    links: Sequence[TimelineLink],
    *,
    expected_head: str | None = None,
    expected_length: int | None = None,
) -> ChainVerdict:
    """The verdict names the first link that breaks. With the incident's recorded head
    (``timeline_head`` / ``timeline_length``) it also catches deleted newest entries
    (docs/exports.md, "Proofs")."""
    ordered = sorted(links, key=lambda link: link.sequence)
    return verify_chain(
        ((hashed_entry(link), link.prev_hash, link.hash) for link in ordered),
        expected_head=expected_head,
        expected_length=expected_length,
    )


__all__ = ["ALGORITHM", "hashed_entry", "verify_timeline"]
