"""Run Alembic without an ini file: ``python -m guard_storage.migrate [upgrade|downgrade REV|check]``.

The URL comes from ``DATABASE_URL`` (read here, at the command-line edge, and nowhere else).
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"

# Alembic's command API installs module-global proxies (``context``, ``op``) while it runs, so two
# migrations on threads of one process (``asyncio.to_thread`` in a test or a benchmark that sets up
# two databases at once) tear each other's proxies down. One lock makes them take turns.
_ALEMBIC = threading.Lock()


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url)
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    with _ALEMBIC:
        command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    with _ALEMBIC:
        command.downgrade(alembic_config(database_url), revision)


def check(database_url: str) -> None:
    """Raise when the models and the migrations disagree (``alembic check``)."""
    with _ALEMBIC:
        command.check(alembic_config(database_url))


def main(argv: list[str]) -> int:
    url = os.environ.get("DATABASE_URL")
    if not url:
        print('DATABASE_URL is not set (try: eval "$(scripts/infra env)")', file=sys.stderr)
        return 2
    action = argv[0] if argv else "upgrade"
    if action == "upgrade":
        upgrade(url, argv[1] if len(argv) > 1 else "head")
    elif action == "downgrade" and len(argv) > 1:
        downgrade(url, argv[1])
    elif action == "check":
        check(url)
    elif action == "revision" and len(argv) > 1:
        command.revision(alembic_config(url), message=argv[1], autogenerate=True)
    else:
        print(
            "usage: python -m guard_storage.migrate [upgrade [REV]|downgrade REV|check]",
            file=sys.stderr,
        )
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
