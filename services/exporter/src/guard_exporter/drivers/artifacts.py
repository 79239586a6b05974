"""Where artifacts live: in ``export_jobs.artifact`` (default) or as files in a directory."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path


class ArtifactDirectory:
    """Files named ``<tenant>/<export_id>``; written to a temporary name and renamed, so a reader
    never sees half a file."""

    def __init__(self, root: Path) -> None:
        self._root = root

    @property
    def spool_root(self) -> Path:
        """Scratch space on the same file system, so a finished file is renamed, not copied."""
        return self._root / ".spool"

    def path_for(self, tenant_id: str, export_id: uuid.UUID) -> Path:
        """Where an artifact written by someone else (a streamed ZIP) must end up."""
        return (self._root / tenant_id / str(export_id)).resolve()

    async def write(self, tenant_id: str, export_id: uuid.UUID, content: bytes) -> str:
        return await asyncio.to_thread(self._write, tenant_id, export_id, content)

    def _write(self, tenant_id: str, export_id: uuid.UUID, content: bytes) -> str:
        folder = self._root / tenant_id
        folder.mkdir(parents=True, exist_ok=True)
        final = folder / str(export_id)
        partial = folder / f".{export_id}.partial"
        with partial.open("wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        partial.replace(final)
        return str(final.resolve())

    async def remove(self, path: str) -> bool:
        """Delete an artifact file this directory holds; False if it was gone already. A path
        outside the directory is refused (the path comes from a database row)."""
        return await asyncio.to_thread(self._remove, path)

    def _remove(self, path: str) -> bool:
        target = Path(path).resolve()
        if not target.is_relative_to(self._root.resolve()):
            raise ValueError(f"{path} is not in the artifact directory {self._root}")
        try:
            target.unlink()
        except FileNotFoundError:
            return False
        return True
