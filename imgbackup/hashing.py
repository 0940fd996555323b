"""The two hashes every upload needs, of the same bytes: SHA-256 (the object's name) and MD5
(the original API's ``?md5=``). Below both the storage (storage/partials.py hashes an
assembled resumable upload) and the photos app (photos/uploads.py hashes a spooled upload),
so neither reaches into the other for them.

The two run side by side when they can: hashlib releases the GIL while it hashes more than
2 KiB, so a helper thread computes the MD5 of a piece (~1.3 ms per MiB here) while the
caller's thread computes its SHA-256 (~0.5 ms per MiB with the CPU's SHA instructions) and
writes it to disk. On an idle server with a free core, that is ~1 ms per MiB less to wait
for: 4 to 6 ms of a 6 MB photo's answer (bench/analysis.md, item 1b, fifth round). It saves
no CPU and costs two thread wake-ups per piece (0.3 to 0.45 ms per photo), so it is used only
where it can pay: with more than one CPU to run on, for pieces of at least ``SPLIT_FROM``
bytes, and only while the process's one helper is free (another upload hashes in its own
thread meanwhile). A piece the helper has not started when the caller is done with its own
part (no free core) is taken back and hashed by the caller: a busy machine does not make the
upload wait for a helper queued behind other work.

The caller's buffer is reused as soon as ``update`` returns (the body is received into one
buffer), so ``update`` always waits for the helper to be done with it, whatever happened
meanwhile. A failure in the helper is raised in the caller (``HashFailed``) and leaves the
hashes unusable: never a digest of bytes the MD5 did not see."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HASH_CHUNK = 1024 * 1024
SPLIT_FROM = 256 * 1024  # below this, the hand-off costs about what the overlap saves


class HashFailed(RuntimeError):
    """Hashing failed part-way: the digests of these bytes are unknown."""


class _Helper:
    """The process's MD5 thread. ``free`` is held by the one caller using it. A job is handed
    over with a lock (cheaper than a pool's futures and conditions) and taken back by the
    caller if the helper has not started it when the caller is done with its own part: on a
    busy machine the helper may wait for a core, and the caller then does not wait for it."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.free = threading.Lock()
        self._state = threading.Lock()  # guards _job: set by start, taken by one side
        self._go, self._done = threading.Lock(), threading.Lock()
        self._go.acquire()
        self._done.acquire()
        self._job: tuple[Any, bytes | memoryview] | None = None
        self._error: BaseException | None = None
        threading.Thread(target=self._run, name="md5-helper", daemon=True).start()

    def _run(self) -> None:
        while True:
            self._go.acquire()
            with self._state:
                job, self._job = self._job, None
            if job is None:
                continue  # taken back by the caller (a late wake-up)
            try:
                job[0].update(job[1])
            except BaseException as exc:  # handed to the caller, which raises it
                self._error = exc
            finally:
                self._done.release()

    def start(self, hasher: Any, data: bytes | memoryview) -> None:
        with self._state:
            self._job, self._error = (hasher, data), None
            if self._go.locked():  # else a wake-up is still pending: it finds this job
                self._go.release()

    def finish(self) -> BaseException | None:
        """The job done, by the helper or (not started yet) here; its data is no longer
        read when this returns. The exception it raised, if any."""
        with self._state:
            job, self._job = self._job, None
        if job is None:
            self._done.acquire()  # the helper took it: wait until it is done
            return self._error
        try:
            job[0].update(job[1])
        except BaseException as exc:
            return exc
        return None


_made = threading.Lock()
_helper: _Helper | None = None
_cpus: tuple[int, int] | None = None  # (pid, CPUs this process may run on)


def _cpu_count() -> int:
    global _cpus
    if _cpus is None or _cpus[0] != os.getpid():
        try:
            count = len(os.sched_getaffinity(0))
        except AttributeError:  # not Linux
            count = os.cpu_count() or 1
        _cpus = (os.getpid(), count)
    return _cpus[1]


def _free_helper(size: int) -> _Helper | None:
    """The process's helper, reserved for the caller; None if the piece is small, there is
    one CPU, or another upload is using it."""
    global _helper
    if size < SPLIT_FROM or _cpu_count() < 2:
        return None
    helper = _helper
    if helper is None or helper.pid != os.getpid():  # none yet, or made before a fork
        with _made:
            if _helper is None or _helper.pid != os.getpid():
                _helper = _Helper()
            helper = _helper
    return helper if helper.free.acquire(blocking=False) else None


@contextmanager
def md5_alongside(md5: Any, data: bytes | memoryview) -> Iterator[None]:
    """``md5.update(data)`` in the helper thread while the block runs in this one, when it
    pays (above); else before the block. The helper is done with ``data`` when the block is
    left, by its end, an exception or a generator's close (the block may hold a ``yield``).
    HashFailed if the helper's update failed."""
    helper = _free_helper(len(data))
    if helper is None:
        md5.update(data)
        yield
        return
    try:
        helper.start(md5, data)
        try:
            yield
        finally:
            error = helper.finish()  # before the caller may refill the buffer
    finally:
        helper.free.release()
    if error is not None:
        raise HashFailed("the MD5 of the upload failed in the helper thread") from error


class BothHashes:
    """SHA-256 and MD5 of the same bytes; MD5 in the helper thread when it pays (above)."""

    def __init__(self) -> None:
        self.sha256 = hashlib.sha256()
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.failed = False

    def update(self, data: bytes | memoryview,
               alongside: Callable[[], object] | None = None) -> None:
        """Hash ``data`` into both; ``alongside`` (the write of ``data``) runs meanwhile, in
        this thread. ``data`` is no longer read when this returns or raises."""
        if self.failed:
            raise HashFailed("an earlier piece of these bytes was not hashed")
        try:
            with md5_alongside(self.md5, data):
                self.sha256.update(data)
                if alongside is not None:
                    alongside()
        except HashFailed:
            self.failed = True
            raise

    def hexdigests(self) -> tuple[str, str]:
        if self.failed:
            raise HashFailed("some of these bytes were not hashed")
        return self.sha256.hexdigest(), self.md5.hexdigest()


def hash_file(path: Path, size: int) -> tuple[str, str]:
    """SHA-256 and MD5 of the first ``size`` bytes of ``path``, read 1 MiB at a time."""
    hashes = BothHashes()
    remaining = size
    with path.open("rb") as f:
        while remaining > 0:
            chunk = f.read(min(HASH_CHUNK, remaining))
            if not chunk:
                raise ValueError(f"{path} is shorter than {size} bytes")
            hashes.update(chunk)
            remaining -= len(chunk)
    return hashes.hexdigests()
