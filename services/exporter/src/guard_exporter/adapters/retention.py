"""Retention of finished export jobs (L3): the exporter writes ``export_jobs`` and the artifact
files, so it is the one that forgets them (docs/adr/0005-one-writer-per-table.md).

Rows go first, in batches, each batch its own transaction; a batch's files are deleted after its
commit. A crash in between leaves a file no row names (disk, never a broken download); a
download of a deleted job answers like an unknown export. Several replicas may run it at once:
a row is deleted once, and a file already gone is skipped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from guard_exporter.drivers.artifacts import ArtifactDirectory
from guard_exporter.drivers.jobs import ExportJobRepository

log = logging.getLogger(__name__)
BATCH = 500


class ExportRetention:
    def __init__(
        self,
        jobs: ExportJobRepository,
        artifacts: ArtifactDirectory | None,
        days: int,
        interval_s: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._jobs = jobs
        self._artifacts = artifacts
        self._keep = timedelta(days=days)
        self._interval_s = interval_s
        self._clock = clock

    async def once(self) -> int:
        """Forget every finished job older than the retention; returns how many."""
        before = self._clock() - self._keep
        forgotten = 0
        while True:
            paths = await self._jobs.forget_finished(before, BATCH)
            forgotten += len(paths)
            for path in paths:
                if path is not None and self._artifacts is not None:
                    try:
                        await self._artifacts.remove(path)
                    except (OSError, ValueError):
                        log.warning("artifact file not deleted", extra={"path": path},
                                    exc_info=True)  # fmt: skip
            if len(paths) < BATCH:
                if forgotten:
                    log.info("export retention", extra={"forgotten": forgotten})
                return forgotten

    async def run(self) -> None:
        while True:
            try:
                await self.once()
            except asyncio.CancelledError:
                raise
            except Exception:
                # The database may be away; the next run catches up.
                log.exception("export retention failed; it runs again later")
            await asyncio.sleep(self._interval_s)
