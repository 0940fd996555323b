"""SHA-256 and MD5 of the same bytes at the same time: MD5 in a helper thread while the
caller's thread computes SHA-256 and writes the bytes.

hashlib releases the GIL while it hashes more than 2 KiB, so on two or more cores the two
hashes of a 6 MB photo (~3.6 ms SHA-256 with the CPU's SHA instructions, ~8.4 ms MD5 here)
take about as long as MD5 alone, and the write hides behind it too: a latency cut of a few
milliseconds per photo. It saves no CPU; it costs a hand-off to the helper per 1 MiB piece
(bench/analysis.md, item 1b). With one core, or for small pieces, both run in the caller.

The caller's buffer is reused as soon as ``update`` returns, so ``update`` always waits for
the helper to be done with it, whatever happens in between."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings

SPLIT_FROM = 256 * 1024  # below this, a hand-off costs more than the overlap saves
_lock = threading.Lock()
_helpers: tuple[int, ThreadPoolExecutor] | None = None


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1


def _helper() -> ThreadPoolExecutor:
    """The process's helper threads (made again in a forked child: threads do not survive
    a fork); one per server thread, so no request waits for another's MD5."""
    global _helpers
    with _lock:
        if _helpers is None or _helpers[0] != os.getpid():
            _helpers = (os.getpid(), ThreadPoolExecutor(
                max_workers=max(1, int(settings.THREADS)), thread_name_prefix="md5"))
        return _helpers[1]


class TwoHashes:
    def __init__(self) -> None:
        self.sha256 = hashlib.sha256()
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.split = _cores() > 1

    def update(self, data: bytes | memoryview, also: Callable[[], None] | None = None) -> None:
        """Hash ``data`` into both; ``also`` (the write) runs meanwhile, in this thread."""
        if not self.split or len(data) < SPLIT_FROM:
            self.sha256.update(data)
            self.md5.update(data)
            if also is not None:
                also()
            return
        md5 = _helper().submit(self.md5.update, data)
        try:
            self.sha256.update(data)
            if also is not None:
                also()
        finally:
            md5.result()  # done with ``data`` before the caller may reuse its buffer

    def hexdigests(self) -> tuple[str, str]:
        return self.sha256.hexdigest(), self.md5.hexdigest()
