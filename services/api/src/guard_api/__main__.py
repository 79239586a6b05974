"""``python -m guard_api``: serve the gateway with uvicorn (settings from GUARD_API_* env)."""

from __future__ import annotations

import sys

import uvicorn
from guard_runtime.logging import configure_logging
from pydantic import ValidationError

from guard_api.config import Settings


def main() -> None:
    try:
        settings = Settings()
    except ValidationError as exc:
        # e.g. production without a real JWT secret: refuse to start, naming the variable.
        messages = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        sys.exit(f"guard_api: refusing to start: {messages}")
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
