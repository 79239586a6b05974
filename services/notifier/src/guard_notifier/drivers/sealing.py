"""Channel signing secrets sealed at rest (docs/notifications.md, "The signing secret").

The notifier is the only service that reads a channel's secret (to sign its deliveries) and the
only writer of its table, so it seals the secret before the row is written and opens it just
before a delivery is signed. Sealing is Fernet from the ``cryptography`` package (AES-128-CBC with
an HMAC-SHA256 over it, a timestamp and a version byte): a maintained, misuse-resistant recipe,
and ``MultiFernet`` gives key rotation for free.

A stored value starting with ``whsec_`` is a secret written before sealing existed; it still
signs, and the notifier seals it when it starts sending (:meth:`SecretBox.resealed`).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from guard_contracts.notifications import SECRET_PREFIX


class SecretUnreadable(Exception):
    """No configured key opens a stored secret (the key that sealed it was dropped)."""


class SecretBox:
    """Seal and open channel secrets with the keys of ``GUARD_NOTIFIER_SECRET_KEYS``.

    The first key seals; every key opens, so rotating is: put the new key first, restart, let
    the notifier re-seal every channel, then drop the old key.
    """

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one key")
        self._newest = Fernet(keys[0])
        self._any = MultiFernet([Fernet(key) for key in keys])

    def seal(self, secret: str) -> str:
        return self._any.encrypt(secret.encode()).decode("ascii")

    def open(self, stored: str) -> str:
        if stored.startswith(SECRET_PREFIX):  # written before sealing; re-sealed at start
            return stored
        try:
            return self._any.decrypt(stored.encode("ascii")).decode()
        except (InvalidToken, UnicodeEncodeError):
            raise SecretUnreadable(
                "the channel's signing secret cannot be opened with GUARD_NOTIFIER_SECRET_KEYS "
                "(was the key that sealed it dropped?)"
            ) from None

    def resealed(self, stored: str) -> str | None:
        """What to store instead of ``stored``: None when it is sealed with the newest key (or
        empty, a deleted channel's); raises :class:`SecretUnreadable` when no key opens it."""
        if not stored:
            return None
        if stored.startswith(SECRET_PREFIX):
            return self.seal(stored)
        token = stored.encode("ascii", errors="replace")
        try:
            self._newest.decrypt(token)
            return None
        except InvalidToken:
            pass
        try:
            return self._any.rotate(token).decode("ascii")
        except InvalidToken:
            raise SecretUnreadable(
                "the channel's signing secret cannot be opened with GUARD_NOTIFIER_SECRET_KEYS"
            ) from None


@lru_cache(maxsize=8)
def secret_box(keys: tuple[str, ...]) -> SecretBox:
    """One box per key list (building Fernet objects per delivery would be waste)."""
    return SecretBox(keys)
