"""Disk full and failing storage: 507 and 503 in the API's error shape, never a 500.

An upload that fills the disk fails while its spool file or its object is written, before its
row commits: nothing of it is kept, and nothing acknowledged before is touched. The client is
told which of the two it is: 507 ``insufficient_storage`` (this server's disk is full: an
administrator must free space) or 503 ``storage_unavailable`` (the storage failed to read or
write: a read-only or failing file system, a network mount gone), with Retry-After.

``/healthz`` says ``degraded`` before uploads start failing, when a folder the server writes to
has less than IMGBACKUP_MIN_FREE_MB free."""

from __future__ import annotations

import errno
import shutil
from contextlib import suppress
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from imgbackup.api.errors import ApiError, error_response
from imgbackup.api.unavailable import unavailable
from imgbackup.storage import blobs, incoming_dir

DISK_FULL = {errno.ENOSPC, errno.EDQUOT}
STORAGE_FAILED = {errno.EIO, errno.EROFS, errno.ENODEV, errno.ENXIO, errno.ESTALE,
                  errno.ENOTCONN, errno.EDEADLK}
MB = 1024 * 1024


def storage_error_response(request: HttpRequest, exc: OSError) -> HttpResponse | None:
    """The answer for an OSError of the disk or the storage; None for any other OSError (a
    missing file is lost data, and stays loud)."""
    if exc.errno in DISK_FULL:
        response: HttpResponse = error_response(request, ApiError(
            507, "insufficient_storage",
            "the server's disk is full: nothing of this request was kept; ask the "
            "administrator to free space, then send it again"))
        response["Retry-After"] = "60"
        return response
    if exc.errno in STORAGE_FAILED:
        return unavailable(request, "storage_unavailable",
                           f"the storage failed ({exc.strerror or exc}); try again later")
    return None


def low_space() -> str | None:
    """None when every folder the server writes to has IMGBACKUP_MIN_FREE_MB free, else a
    sentence naming the fullest."""
    for folder in _folders():
        try:
            free = shutil.disk_usage(folder).free
        except OSError:
            continue  # not created yet, or storage trouble that the storage check reports
        if free < settings.MIN_FREE_MB * MB:
            return (f"{free // MB} MB free in {folder}, less than IMGBACKUP_MIN_FREE_MB "
                    f"({settings.MIN_FREE_MB} MB): uploads will soon fail")
    return None


def _folders() -> list[Path]:
    folders = [Path(settings.DATA_DIR)]
    with suppress(OSError):  # a folder that cannot be made: the storage check reports it
        folders.append(incoming_dir())
    location = getattr(blobs(), "location", None)
    if isinstance(location, str | Path):
        folders.append(Path(location))
    return folders
