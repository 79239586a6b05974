"""Small, tested English phrasing for the reports: counts, durations, verbs (docs/exports.md).

Reports are read by people who notice "1 model calls" and "the freeze guard frozen activity"; every
sentence that carries a number or an action goes through here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

#: Nouns whose plural is not the singular + "s".
_IRREGULAR = {"entry": "entries", "policy": "policies", "was": "were", "has": "have", "is": "are"}
#: A killswitch action as a past-tense verb: "the guard <verb> run X".
_ACTION_VERBS = {
    "stopped": "stopped",
    "frozen": "froze",
    "throttled": "throttled",
    "alerted": "raised an alert on",
}


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    """The noun for ``n`` things: ``plural(1, "call")`` → call, ``plural(2, "entry")`` → entries."""
    if n == 1:
        return singular
    return plural_form or _IRREGULAR.get(singular) or f"{singular}s"


def count(n: int, singular: str, plural_form: str | None = None) -> str:
    """``count(1, "model call")`` → "1 model call"; ``count(1200, "signal")`` → "1,200 signals".

    For a compound noun only the last word is inflected ("model call" → "model calls")."""
    head, _, last = singular.rpartition(" ")
    word = plural(n, last, plural_form)
    return f"{n:,} {head + ' ' if head else ''}{word}"


def verb(n: int, singular: str) -> str:
    """Agreement for a verb after a count: ``verb(1, "was")`` → was, ``verb(3, "was")`` → were."""
    return plural(n, singular)


def join(items: Sequence[str], conjunction: str = "and") -> str:
    """ "a", "a and b", "a, b and c"."""
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def action_verb(action: str) -> str:
    """``frozen`` → "froze" (the guard froze the run); unknown actions read "acted on"."""
    return _ACTION_VERBS.get(action, "acted on")


def duration(value: timedelta) -> str:
    """The two largest units, in words: "3 days 4 hours", "2 hours 5 minutes", "1 minute",
    "45 seconds", "0 seconds". Negative values count as zero."""
    seconds = max(int(value.total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    units = [(days, "day"), (hours, "hour"), (minutes, "minute"), (secs, "second")]
    first = next((i for i, (amount, _) in enumerate(units) if amount), len(units) - 1)
    shown = [count(amount, name) for amount, name in units[first : first + 2] if amount]
    return " ".join(shown) or "0 seconds"


def title_words(code: str) -> str:
    """A machine name as words: ``budget_breach`` → "budget breach"."""
    return code.replace("_", " ").replace("|", " ").strip()


def short_duration(value: timedelta) -> str:
    """The compact form for figure tiles: "20 min 5 s", "3 h 10 min", "2 d 4 h", "45 s"."""
    seconds = max(int(value.total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    units = [(days, "d"), (hours, "h"), (minutes, "min"), (secs, "s")]
    first = next((i for i, (amount, _) in enumerate(units) if amount), len(units) - 1)
    shown = [f"{amount} {name}" for amount, name in units[first : first + 2] if amount]
    return " ".join(shown) or "0 s"
