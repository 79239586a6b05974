"""Per-channel flood control (docs/notifications.md): at most ``limit`` messages per window.

The window opens with the first message after the previous one closed (not on clock minutes), so
a burst is never split in two by a minute boundary. Messages over the limit are counted into one
digest that leaves when the window closes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Window:
    started_at: datetime | None = None
    sent: int = 0

    def closes_at(self, length: timedelta) -> datetime | None:
        return None if self.started_at is None else self.started_at + length


def admit(window: Window, now: datetime, limit: int, length: timedelta) -> tuple[bool, Window]:
    """Whether one more message may go now, and the window after counting it.

    A refused message belongs to the digest of the returned window (its ``started_at``).
    """
    if window.started_at is None or now >= window.started_at + length:
        window = Window(now, 0)
    if window.sent < limit:
        return True, Window(window.started_at, window.sent + 1)
    return False, window
