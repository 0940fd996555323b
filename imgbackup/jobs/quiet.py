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
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

# A wait sleeps until the quiet spell would end, looking again at least this often (to
# notice a stopping worker) and at most this late after the spell ends (a clock step).
LONGEST_SLEEP = 0.5


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


def seconds_since_upload() -> float:
    try:
        return time.time() - _mark_file().stat().st_mtime
    except FileNotFoundError:
        return float("inf")


def wait_for_quiet(running: Callable[[], bool]) -> float:
    """Sleep while an upload started or ended within IMGBACKUP_JOB_QUIET_SECONDS (and
    ``running()`` holds); the seconds waited. It sleeps until the spell would end rather than
    polling, so a job starts as soon as the uploads have been quiet for long enough."""
    quiet = float(settings.JOB_QUIET_SECONDS)
    started = time.monotonic()
    while quiet > 0 and running():
        left = quiet - seconds_since_upload()
        if left <= 0:
            break
        time.sleep(min(left, LONGEST_SLEEP) + 0.005)
    return time.monotonic() - started
