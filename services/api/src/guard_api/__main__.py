"""``python -m guard_api``: serve the gateway with uvicorn (settings from GUARD_API_* env)."""

from __future__ import annotations

import logging

import uvicorn

from guard_api.config import Settings


def main() -> None:
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level,
        format='{"ts":"%(asctime)s","level":"%(levelname)s","logger":"%(name)s","message":"%(message)s"}',
    )
    uvicorn.run(
        "guard_api.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level.lower(),
        access_log=False,
    )


if __name__ == "__main__":
    main()
