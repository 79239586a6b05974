"""Large artifacts on disk: files written and hashed as they stream, then zipped without loading.

The audit-period export (docs/exports.md) writes each member once to a temporary file while
computing its SHA-256, then copies the files into a ZIP with fixed times and attributes (the same
reproducible layout as the evidence bundle), 1 MiB at a time. Memory stays flat whatever the size.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import IO

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_CHUNK = 1 << 20


class Spool:
    """An append-only temporary file that knows its SHA-256 and size."""

    def __init__(self, folder: Path, name: str) -> None:
        self.name = name
        self.path = folder / name
        self._file: IO[bytes] = self.path.open("wb", buffering=_CHUNK)
        self._hash = hashlib.sha256()
        self.size_bytes = 0

    def write(self, data: bytes) -> None:
        self._file.write(data)
        self._hash.update(data)
        self.size_bytes += len(data)

    def close(self) -> None:
        self._file.close()

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


class SpoolDirectory:
    """A private temporary folder (under ``root`` when given), removed by :meth:`cleanup`."""

    def __init__(self, root: Path | None = None) -> None:
        if root is not None:
            root.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix="guard-export-", dir=root))

    def spool(self, name: str) -> Spool:
        return Spool(self.path, name)

    def cleanup(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def write_zip(target: Path, members: list[tuple[str, Path | bytes]]) -> None:
    """Write ``members`` (a file path or bytes each) as a reproducible ZIP at ``target``."""
    partial = target.with_name(f".{target.name}.partial")
    with zipfile.ZipFile(partial, "w", allowZip64=True) as archive:
        for name, source in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            with archive.open(info, "w", force_zip64=True) as out:
                if isinstance(source, bytes):
                    out.write(source)
                else:
                    with source.open("rb") as src:
                        shutil.copyfileobj(src, out, _CHUNK)
    with partial.open("rb") as done:
        os.fsync(done.fileno())
    partial.replace(target)
