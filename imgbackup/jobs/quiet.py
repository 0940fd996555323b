"""Background work waits while uploads arrive: a small server spends its CPU on receiving
photos first, and makes their thumbnails and previews as soon as no upload is in flight.

Every upload is *in flight* while its body is received and ingested (``upload_in_flight``,
entered by ``api.upload_slots.upload_slot``, which every upload path takes, tus chunks too): it
holds an ``flock`` on a file of its own in ``<data>/run/in-flight/``, so an upload whose
process dies stops counting
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
from contextlib import contextmanager
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


def _run_folder() -> Path:
    return Path(settings.DATA_DIR) / "run"


def _mark_file() -> Path:
    return _run_folder() / "upload-activity"


def _in_flight_folder() -> Path:
    return _run_folder() / "in-flight"


def mark_upload() -> None:
    """Record that an upload ends now (one utime; created the first time)."""
    path = _mark_file()
    try:
        os.utime(path)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()


@contextmanager
def upload_in_flight() -> Iterator[None]:
    """Count an upload as in flight for the block; its end is marked (``mark_upload``)."""
    folder = _in_flight_folder()
    path = folder / f"{os.getpid()}.{threading.get_ident()}.{next(_numbers)}"
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except FileNotFoundError:  # the first upload here: the folder is made once, not each time
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        mark_upload()
        path.unlink(missing_ok=True)
        os.close(fd)  # releases the flock


def uploads_in_flight() -> int:
    """Uploads in flight on this machine for less than HOLDS_AT_MOST. An unlocked file is
    the leftover of a process that died; it is removed once it is old."""
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
