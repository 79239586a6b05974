"""``python -m guard_api``: serve the gateway with uvicorn (settings from GUARD_API_* env)."""

from __future__ import annotations

import uvicorn
from guard_runtime.logging import configure_logging
from guard_runtime.settings import load_settings

from guard_api.config import Settings


def main() -> None:
    # e.g. production without a real JWT secret: refuse to start, naming the variable.
    settings = load_settings(Settings, "guard_api")
    configure_logging("api", settings.log_level)
    uvicorn.run(
        "guard_api.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level.lower(),
        access_log=False,
        log_config=None,  # keep the JSON handlers configure_logging installed
    )


if __name__ == "__main__":
    main()
