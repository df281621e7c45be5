"""A JSON file that several processes update safely.

Every update runs under an inter-process file lock, re-reads the file, and
replaces it atomically (temp file in the same directory, fsync, rename, fsync of
the directory): a crash at any point leaves either the old file or the new one,
never a torn one. A writer killed mid-write can leave its temp file behind; the
next update deletes it.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from filelock import FileLock, Timeout

T = TypeVar("T")

LOCK_TIMEOUT_S = 10.0


class StoreError(RuntimeError):
    """The store could not be read or written (disk full, read-only, lock timeout...)."""


def write_atomic(path: Path, data: Any) -> None:
    """Replace `path` with `data` as JSON, atomically and durably."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as tmp:
            json.dump(data, tmp, ensure_ascii=False, indent=1)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class JsonFile:
    """One JSON document on disk, seeded from a read-only file on first use."""

    def __init__(self, path: Path, default: Callable[[], Any], seed: Path | None = None) -> None:
        self.path = path
        self._default = default
        self._seed = seed

    def _lock(self) -> FileLock:
        # A fresh lock object per use: filelock objects are re-entrant per
        # instance, which would let two coroutines of one thread both "hold" it.
        return FileLock(str(self.path) + ".lock", timeout=LOCK_TIMEOUT_S)

    def _ensure(self) -> None:
        if self.path.exists():
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self._seed and self._seed.exists():
            data = json.loads(self._seed.read_text(encoding="utf-8"))
        else:
            data = self._default()
        write_atomic(self.path, data)

    def _remove_orphans(self) -> None:
        """Delete temp files a killed writer left. Only the lock holder writes one, so
        under the lock every temp file of this document is an orphan."""
        for orphan in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            orphan.unlink(missing_ok=True)

    def read(self) -> Any:
        """The current document (seeding the file first if needed)."""
        try:
            if not self.path.exists():
                with self._lock():
                    self._ensure()
            return json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, Timeout, json.JSONDecodeError) as exc:
            raise StoreError(f"cannot read {self.path}: {exc}") from exc

    def update(self, change: Callable[[Any], tuple[Any, T]]) -> T:
        """Apply `change(doc) -> (new_doc, result)` under the lock; return `result`.

        When `new_doc` is None nothing is written (a read under the lock).
        """
        try:
            with self._lock():
                self._ensure()
                self._remove_orphans()
                current = json.loads(self.path.read_text(encoding="utf-8"))
                new_doc, result = change(current)
                if new_doc is not None:
                    write_atomic(self.path, new_doc)
                return result
        except (OSError, Timeout, json.JSONDecodeError) as exc:
            raise StoreError(f"cannot update {self.path}: {exc}") from exc

