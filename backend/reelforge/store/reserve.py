"""A little disk space held back, so that a full disk can still record why a job failed.

SQLite needs free space to commit (the WAL grows by whole pages). On a disk filled to the last
byte, even marking a job `failed` would fail, and the job would look `running` until the next
start. So the data dir keeps a small reserve file: when a write fails because the disk is full,
the reserve is released and the write tried again; it is taken back when there is room again.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import sqlite3
from pathlib import Path

log = logging.getLogger("reelforge.store")

RESERVE_NAME = ".disk-reserve"
RESERVE_BYTES = 4 * 1024 * 1024


def is_disk_full(exc: BaseException) -> bool:
    """True for SQLite's SQLITE_FULL and for ENOSPC / EDQUOT from the file system."""
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        if isinstance(code, int):
            return code & 0xFF == sqlite3.SQLITE_FULL
        return "database or disk is full" in str(exc)
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


class DiskReserve:
    """The reserve file in a data dir. Both methods are cheap and never raise."""

    def __init__(self, root: Path, size: int = RESERVE_BYTES):
        self.path = root / RESERVE_NAME
        self.size = size

    def take(self) -> bool:
        """Make sure the reserve exists; False if the disk has no room for it now."""
        try:
            if self.path.stat().st_size == self.size:
                return True
        except OSError:
            pass
        try:
            with open(self.path, "wb") as out:
                out.write(bytes(self.size))  # real blocks, not a sparse file
                out.flush()
                os.fsync(out.fileno())
            return True
        except OSError as exc:
            with contextlib.suppress(OSError):
                self.path.unlink()
            if not is_disk_full(exc):
                log.warning("could not create the disk reserve %s: %s", self.path, exc)
            return False

    def release(self) -> bool:
        """Free the reserve's space; True if there was one to free."""
        try:
            self.path.unlink()
        except OSError:
            return False
        log.warning("disk full: released the %d byte reserve to record a failure", self.size)
        return True
