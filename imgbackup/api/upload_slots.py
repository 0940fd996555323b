"""How many uploads may be in flight at once: per user, and per server process.

An upload holds a thread for as long as its body takes to arrive, and a slow client can make
that minutes. Two limits keep uploads from taking every thread, checked after authentication
and before any of the body is read (the refused body is then not read at all, see
imgbackup/slow_clients.py):

- **per user**: IMGBACKUP_MAX_CONCURRENT_UPLOADS at once on one machine (429
  ``too_many_uploads``). The slots are ``flock`` locks on files in ``<data>/run/uploads/``,
  so every worker process of a server shares them, and a process that dies frees its slots
  with its file descriptors;
- **per process**: uploads may use all of a worker's threads but a quarter (at least one),
  which stay free for everything else (/healthz, browsing, downloads): 503 ``server_busy``.
  Never fewer than the per-user limit, though (with very few threads, fairness to the one
  user comes first).

Every path that receives photo bytes (the original API, API v2, resumable uploads) wraps its
body reading in ``upload_slot(user)``."""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection

from imgbackup.api.errors import ApiError
from imgbackup.jobs.quiet import upload_in_flight

RETRY_AFTER_SECONDS = 5
_lock = threading.Lock()
_process_slots: threading.BoundedSemaphore | None = None
_folders: dict[tuple[str, str], Path] = {}  # by data folder and database (_slot_folder)


def _process_semaphore() -> threading.BoundedSemaphore:
    global _process_slots
    with _lock:
        if _process_slots is None:
            threads = max(1, int(settings.THREADS))
            # Never fewer than one user may use: a client sending its allowance at once over
            # kept-alive connections that all reached one process would be refused for ever.
            slots = max(1, threads - max(1, threads // 4), int(settings.MAX_CONCURRENT_UPLOADS))
            _process_slots = threading.BoundedSemaphore(slots)
        return _process_slots


def _busy(status: int, code: str, message: str) -> ApiError:
    error = ApiError(status, code, message)
    error.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return error


def _slot_folder() -> Path:
    """``<data>/run/uploads/<database>``: per database too, since user ids are only unique
    within one (test runs share a data folder). Made when a slot's file cannot be opened."""
    key = (str(settings.DATA_DIR), str(connection.settings_dict["NAME"]))
    folder = _folders.get(key)
    if folder is None:
        database = hashlib.sha256(key[1].encode()).hexdigest()[:12]
        folder = _folders[key] = Path(key[0]) / "run" / "uploads" / database
    return folder


def _open_slot(path: Path) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except FileNotFoundError:  # the folder is new, or was deleted since
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)


def _user_lock(user: User) -> int | None:
    """An open descriptor holding one of the user's slots, or None when all are taken."""
    folder = _slot_folder()
    for slot in range(int(settings.MAX_CONCURRENT_UPLOADS)):
        fd = _open_slot(folder / f"{user.pk}.{slot}")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return fd
    return None


@contextmanager
def upload_slot(user: User) -> Iterator[None]:
    """Hold one of ``user``'s upload slots and one of this process's for the block; raise
    ApiError 429 or 503 (with Retry-After) at once when none is free."""
    fd: int | None = None
    if int(settings.MAX_CONCURRENT_UPLOADS) > 0:
        fd = _user_lock(user)
        if fd is None:
            raise _busy(429, "too_many_uploads",
                        f"{settings.MAX_CONCURRENT_UPLOADS} uploads of this account are in "
                        "progress already (IMGBACKUP_MAX_CONCURRENT_UPLOADS); send this one "
                        "when one of them has finished")
    process = _process_semaphore()
    try:
        if not process.acquire(blocking=False):
            raise _busy(503, "server_busy", "the server is busy with other uploads; try again "
                        "in a few seconds")
        try:
            with upload_in_flight():  # background jobs wait for it (jobs/quiet.py)
                yield
        finally:
            process.release()
    finally:
        if fd is not None:
            os.close(fd)  # releases the flock
