"""Start writing a file's pages to disk while it is still being written, so the fsync that
makes it durable waits only for the last few pages.

An upload's bytes go to a spool file as they arrive and are fsynced before any name or row
points at them (photos/uploads.py, storage/partials.py). Left alone, the kernel writes dirty
pages back when it chooses (seconds later), so the fsync at the end of a 6 MB photo wrote all
6 MB at once and the answer waited for it. Linux's ``sync_file_range(fd, offset, length,
SYNC_FILE_RANGE_WRITE)`` starts the write-out of a range without waiting for it (PostgreSQL's
and RocksDB's writers do the same): called after every MiB, the disk works while the rest of
the body is still arriving. It promises nothing about durability (no metadata, no disk
cache flush): the fsync still happens, where it did, before anything points at the file.

Where the call does not exist (not Linux, no ``sync_file_range`` in the C library) or a file
system refuses it, it is skipped and the fsync does all the work, as before."""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable

from imgbackup import clib

SYNC_FILE_RANGE_WRITE = 2  # <linux/fs.h>: start write-out of dirty pages, do not wait
STEP = 1024 * 1024  # start the write-out of each MiB once it is written


def _load() -> Callable[[int, int, int, int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    call: Callable[[int, int, int, int], int] | None = clib.function(
        "sync_file_range", (ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint),
        ctypes.c_int)
    return call


_sync_file_range = _load()


def available() -> bool:
    return _sync_file_range is not None


class Writeback:
    """Follows the bytes written to ``fd`` from ``start``; ``wrote(n)`` after each write."""

    def __init__(self, fd: int, start: int = 0) -> None:
        self.fd = fd
        self.written = self.started = start
        self.enabled = _sync_file_range is not None

    def wrote(self, count: int) -> None:
        self.written += count
        if self.enabled and self.written - self.started >= STEP:
            self._start()

    def _start(self) -> None:
        assert _sync_file_range is not None
        length = self.written - self.started
        if _sync_file_range(self.fd, self.started, length, SYNC_FILE_RANGE_WRITE) != 0:
            # ESPIPE, EINVAL on a file system without it...: the fsync does it all.
            self.enabled = False
            return
        self.started = self.written

