"""Where the gateway finds the console's files: env prefix ``GUARD_API_CONSOLE_``.

Kept apart from ``config.Settings`` so the static part of the gateway can be read (and changed)
without the API's settings; see services/console/README.md.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from guard_contracts.topics import DEFAULT_TOPICS

#: services/console in a source checkout (this file is services/api/src/guard_api/...).
DEFAULT_CONSOLE_DIR = Path(__file__).resolve().parents[3] / "console"


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GUARD_API_CONSOLE_", extra="ignore")

    #: The console folder: ``static/`` (the page) and ``node_modules/`` (npm ci by scripts/bootstrap).
    dir: Path = DEFAULT_CONSOLE_DIR
    #: The tenant of the development-only "demo tenant" button.
    demo_tenant: str = Field(default="demo", pattern=r"^[A-Za-z0-9._-]{1,64}$")
    #: Read (no consumer group) for the console's live updates.
    topic_incident_changes: str = DEFAULT_TOPICS.incident_changes

    @property
    def static_dir(self) -> Path:
        return self.dir / "static"

    @property
    def node_modules(self) -> Path:
        return self.dir / "node_modules"
