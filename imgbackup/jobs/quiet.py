"""Background work waits while uploads arrive: a small server spends its CPU on receiving
photos first, and makes their thumbnails and previews when the uploads go quiet.

Every upload marks the time when it starts and when it ends (``mark_upload``, called by
``api.upload_slots.upload_slot``) on a file in the data folder; a job worker on the same
machine waits before each job until no upload has started or ended for
``IMGBACKUP_JOB_QUIET_SECONDS`` (``wait_for_quiet``). A worker on another machine sees no
marks and does not wait. Nothing is switched off: every queued job still runs, later, and a
thumbnail asked for in the meantime is made on request (photos/derived.py)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

POLL_SECONDS = 0.25


def _mark_file() -> Path:
    return Path(settings.DATA_DIR) / "run" / "upload-activity"


def mark_upload() -> None:
    """Record that an upload starts or ends now (one utime; created the first time)."""
    path = _mark_file()
    try:
        os.utime(path)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()


@contextmanager
def upload_activity() -> Iterator[None]:
    """Marks an upload's start and end around the block (for paths without an upload slot)."""
    mark_upload()
    try:
        yield
    finally:
        mark_upload()


def seconds_since_upload() -> float:
    try:
        return time.time() - _mark_file().stat().st_mtime
    except FileNotFoundError:
        return float("inf")


def wait_for_quiet(running: Callable[[], bool]) -> float:
    """Sleep while an upload started or ended within IMGBACKUP_JOB_QUIET_SECONDS (and
    ``running()`` holds); the seconds waited."""
    quiet = float(settings.JOB_QUIET_SECONDS)
    started = time.monotonic()
    while quiet > 0 and running() and seconds_since_upload() < quiet:
        time.sleep(POLL_SECONDS)
    return time.monotonic() - started
