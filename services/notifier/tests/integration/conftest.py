"""Fixtures the notifier's integration modules share."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from guard_devtools.receiver import Receiver, run_receiver


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def receiver() -> AsyncIterator[Receiver]:
    """A webhook receiver on 127.0.0.1 for the module (each test names its own channels)."""
    async with run_receiver() as r:
        yield r
