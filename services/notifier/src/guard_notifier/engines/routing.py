"""Which incident changes are notified, and which channels want them (docs/notifications.md)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from guard_contracts.enums import Category, Severity, SourceType, TimelineEntryType
from guard_contracts.notifications import ChangeKind

_BY_ENTRY = {
    TimelineEntryType.SEVERITY_ESCALATED: ChangeKind.ESCALATED,
    TimelineEntryType.ACKNOWLEDGED: ChangeKind.ACKNOWLEDGED,
    TimelineEntryType.RESOLVED: ChangeKind.RESOLVED,
    TimelineEntryType.AUTO_RESOLVED: ChangeKind.RESOLVED,
}


def change_kind(
    entry: TimelineEntryType, source_type: SourceType, recurrence_of: uuid.UUID | None
) -> ChangeKind | None:
    """The notified kind of a timeline entry; None for entries nobody is told about.

    A new incident is ``cost_anomaly`` when a cost anomaly opened it, ``reopened`` when it
    recurs (a resolved incident with the same fingerprint came before), else ``opened``. An
    event merely attached to an open incident is not news.
    """
    if entry is TimelineEntryType.CREATED:
        if source_type is SourceType.COST_ANOMALY:
            return ChangeKind.COST_ANOMALY
        return ChangeKind.REOPENED if recurrence_of is not None else ChangeKind.OPENED
    return _BY_ENTRY.get(entry)


@dataclass(frozen=True, slots=True)
class Filters:
    """A channel's subscription; empty sets and None mean "all"."""

    change_types: frozenset[ChangeKind] = frozenset()
    min_severity: Severity | None = None
    categories: frozenset[Category] = frozenset()

    def wants(self, kind: ChangeKind, severity: Severity, category: Category) -> bool:
        if self.change_types and kind not in self.change_types:
            return False
        if self.min_severity is not None and severity.rank < self.min_severity.rank:
            return False
        return not self.categories or category in self.categories
