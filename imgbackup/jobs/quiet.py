"""Background work waits while uploads arrive: a small server spends its CPU on receiving
photos first, and makes their thumbnails and previews as soon as no upload is in flight.

Every upload is *in flight* while its body is received and ingested (``upload_in_flight``,
entered by ``api.upload_slots.upload_slot``, which every upload path takes, tus chunks too): it
holds an ``flock`` on a file of its own in ``<data>/run/in-flight/`` (its thread's, kept from
one upload to the next), so an upload whose process dies stops counting
with its file descriptors, and it marks the time it ends. A job worker on the same machine
waits before claiming each job (``wait_for_quiet``) until no upload is in flight and the last
one ended ``IMGBACKUP_JOB_QUIET_SECONDS`` ago, a short settle (0.5 s) that spans the gap between
one client's uploads (measured: one client sending one photo after another left gaps of
7 ms median, 60 ms at most, at load average 12). So a stream of uploads has the CPU to
itself, and the jobs start half a second after it ends, not after a fixed quiet period. An
upload in flight for longer than ``HOLDS_AT_MOST`` (a big video on a slow line) no longer holds
the jobs back: one slow upload costs the server little CPU per second, and thumbnails should
not wait for it.

A worker on another machine sees no marks and does not wait. Nothing is switched off: every
queued job still runs, later, and a thumbnail asked for meanwhile is made on request
(photos/derived.py)."""

from __future__ import annotations

import fcntl
import itertools
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from functools import lru_cache
from pathlib import Path

from django.conf import settings

# A worker looks again at least this late (to notice that it is stopping). While an upload is
# in flight it looks again a settle later (at most this): a later look costs no later start,
# since once none is in flight it sleeps until the settle after the last one's end, which a look
# up to a settle late still finds ahead. Each look costs ~0.3 ms of CPU on a busy machine (its
# code cold after the sleep): looking every 50 ms cost each job thread 6.4 ms of CPU per second
# of uploading, now 0.7 (bench/analysis.md, item 1b, fourth round).
LONGEST_SLEEP = 0.5
HOLDS_AT_MOST = 60.0
_numbers = itertools.count()


@lru_cache(maxsize=8)
def _run_folder_of(data_dir: str) -> Path:
    return Path(data_dir) / "run"


def _run_folder() -> Path:
    return _run_folder_of(str(settings.DATA_DIR))


def _mark_file() -> Path:
    return _mark_file_of(_run_folder())


def _in_flight_folder() -> Path:
    return _in_flight_folder_of(_run_folder())


@lru_cache(maxsize=8)
def _mark_file_of(run: Path) -> Path:
    return run / "upload-activity"


@lru_cache(maxsize=8)
def _in_flight_folder_of(run: Path) -> Path:
    return run / "in-flight"


def mark_upload() -> None:
    """Record that an upload ends now (one utime; created the first time)."""
    path = _mark_file()
    try:
        os.utime(path)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()


class _Mark:
    """A thread's own file in the in-flight folder, kept open from one of its uploads to the
    next: an upload then costs a ``utime`` and two ``flock``s, not a file made and removed (with
    the folder's ``mkdir``): 0.22-0.28 -> ~0.1 ms of a server thread's CPU per upload
    (bench/analysis.md, issue 17, seventh round)."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.pid, self.depth = folder, os.getpid(), 0
        path = folder / f"{self.pid}.{threading.get_ident()}.{next(_numbers)}"
        try:
            self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except FileNotFoundError:  # the folder is new, or was removed since
            folder.mkdir(parents=True, exist_ok=True)
            self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    def __del__(self) -> None:  # its thread ended: the file is an idle leftover, removed later
        fd = getattr(self, "fd", None)  # None: __init__ failed before it opened one
        if fd is not None:
            with suppress(OSError):
                os.close(fd)


_marks = threading.local()


def _thread_mark() -> _Mark:
    folder = _in_flight_folder()
    mark: _Mark | None = getattr(_marks, "mark", None)
    if mark is None or mark.folder != folder or mark.pid != os.getpid():
        mark = _marks.mark = _Mark(folder)
    return mark


def _hold(mark: _Mark) -> _Mark:
    """Lock ``mark`` for an upload starting now; a new mark when the reader removed this one
    as an old leftover while it was idle (``uploads_in_flight``), which it cannot do once the
    lock is held."""
    os.utime(mark.fd)  # the upload's age counts from now (HOLDS_AT_MOST)
    fcntl.flock(mark.fd, fcntl.LOCK_EX)
    if os.fstat(mark.fd).st_nlink > 0:
        return mark
    fcntl.flock(mark.fd, fcntl.LOCK_UN)
    fresh = _marks.mark = _Mark(mark.folder)
    fcntl.flock(fresh.fd, fcntl.LOCK_EX)
    return fresh


@contextmanager
def upload_in_flight() -> Iterator[None]:
    """Count an upload as in flight for the block (an flock on the thread's own file in
    ``<data>/run/in-flight/``); its end is marked (``mark_upload``)."""
    mark = _thread_mark()
    if mark.depth == 0:
        mark = _hold(mark)
    mark.depth += 1
    try:
        yield
    finally:
        mark.depth -= 1
        try:
            mark_upload()
        finally:
            if mark.depth == 0:
                fcntl.flock(mark.fd, fcntl.LOCK_UN)


def uploads_in_flight() -> int:
    """Uploads in flight on this machine for less than HOLDS_AT_MOST. An unlocked file is an
    idle thread's (locked again at its next upload) or the leftover of a thread or process
    that ended; it is removed once it is old (an idle thread then makes a new one)."""
    try:
        entries = list(os.scandir(_in_flight_folder()))
    except FileNotFoundError:
        return 0
    now = time.time()
    count = 0
    for entry in entries:
        try:
            age = now - entry.stat().st_mtime
            fd = os.open(entry.path, os.O_RDONLY)
        except FileNotFoundError:
            continue  # ended meanwhile
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            count += age < HOLDS_AT_MOST  # held: in flight
        else:
            if age > HOLDS_AT_MOST:
                Path(entry.path).unlink(missing_ok=True)
        finally:
            os.close(fd)
    return count


def seconds_since_upload() -> float:
    try:
        return time.time() - _mark_file().stat().st_mtime
    except FileNotFoundError:
        return float("inf")


def wait_for_quiet(running: Callable[[], bool]) -> float:
    """Sleep while an upload is in flight or the last one ended less than
    IMGBACKUP_JOB_QUIET_SECONDS ago (and ``running()`` holds); the seconds waited."""
    settle = float(settings.JOB_QUIET_SECONDS)
    started = time.monotonic()
    while settle > 0 and running():
        if uploads_in_flight():
            time.sleep(min(settle, LONGEST_SLEEP))
            continue
        left = settle - seconds_since_upload()
        if left <= 0:
            break
        time.sleep(min(left, LONGEST_SLEEP) + 0.005)
    return time.monotonic() - started
