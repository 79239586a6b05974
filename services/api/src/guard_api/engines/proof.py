"""Proof verdict (O5, SPEC §8.2): recompute the incident's timeline hash chain."""

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


def verify_timeline(links: Sequence[TimelineLink]) -> ChainVerdict:
    """Links must be in sequence order; the verdict names the first link that breaks."""
    ordered = sorted(links, key=lambda link: link.sequence)
    return verify_chain((hashed_entry(link), link.prev_hash, link.hash) for link in ordered)


__all__ = ["ALGORITHM", "hashed_entry", "verify_timeline"]
