"""A save's folder syncs, run beside the work that follows them and waited for before it matters.

A save into local storage ends with its folder's fsync (and, for each folder it made, the
parent's: storage/local.py): each waits 2-3 ms for the disk and takes little CPU. Ingest stores
an object before its transaction starts, but the object must be durable only before the rows
naming it commit. Inside ``overlapped()`` those syncs run on a worker thread while the
transaction does its work; ``Pending.wait()``, which ingest calls just before its COMMIT (and the
block calls again when it ends, whatever happens), returns once every one has finished, and
raises the first one's error. Outside such a block a sync runs at once, as before: nothing is
answered, and no row commits, before the bytes and their folders are on disk."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from contextvars import ContextVar

WORKERS = 4  # syncs of a few uploads at once; each thread mostly waits for the disk


class Pending:
    """The syncs started inside one ``overlapped()`` block."""

    def __init__(self) -> None:
        self._futures: list[Future[None]] = []

    def add(self, sync: Callable[[], None]) -> None:
        self._futures.append(_executor().submit(sync))

    def wait(self) -> None:
        """Return once every sync started so far has finished; raise the first error."""
        futures, self._futures = self._futures, []
        error: BaseException | None = None
        for future in futures:
            try:
                future.result()
            except BaseException as exc:  # raised below, once the others have finished
                error = error or exc
        if error is not None:
            raise error


_pending: ContextVar[Pending | None] = ContextVar("imgbackup_pending_syncs", default=None)


@contextmanager
def overlapped() -> Iterator[Pending]:
    """Syncs ``run`` inside the block go to a worker thread; all are waited for by its end."""
    pending = Pending()
    token = _pending.set(pending)
    try:
        yield pending
    except BaseException:
        with suppress(Exception):  # the block's own error is the one to report
            pending.wait()
        raise
    else:
        pending.wait()
    finally:
        _pending.reset(token)


def run(sync: Callable[[], None]) -> None:
    """``sync()`` now; inside ``overlapped()``, on a worker thread, waited for by the block."""
    pending = _pending.get()
    if pending is None:
        sync()
    else:
        pending.add(sync)


_lock = threading.Lock()
_pool: tuple[int, ThreadPoolExecutor] | None = None


def _executor() -> ThreadPoolExecutor:
    """The process's sync threads, made on first use (threads do not survive a fork: a
    server's worker makes its own)."""
    global _pool
    with _lock:
        if _pool is None or _pool[0] != os.getpid():
            _pool = (os.getpid(), ThreadPoolExecutor(WORKERS, thread_name_prefix="sync"))
        return _pool[1]
