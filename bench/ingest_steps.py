"""Where one multipart upload's CPU goes, step by step, in-process (Django's WSGI handler, no
socket), for bench/analysis.md item 1b:

    IMGBACKUP_DATA_DIR=$(mktemp -d) .venv/bin/python -m bench.ingest_steps \\
        [PHOTOS] [v1|v2] [nowriteback]

Sends PHOTOS (default 12) distinct 4000x3000 JPEGs (~6 MB) to API v2 ``POST /photos`` (or the
original API) through ``WSGIHandler`` as gunicorn would call it, with the ingest steps wrapped:
per step the request thread's CPU (``time.thread_time``) and wall time, and the SQL statements
of the request. The whole request's process CPU (``time.process_time``: any other thread's
share is in it) is printed beside the request thread's."""

from __future__ import annotations

import functools
import io
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

CPU: dict[str, float] = defaultdict(float)
WALL: dict[str, float] = defaultdict(float)
CALLS: dict[str, int] = defaultdict(int)


def _timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        cpu, wall = time.thread_time(), time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            CPU[name] += time.thread_time() - cpu
            WALL[name] += time.perf_counter() - wall
            CALLS[name] += 1

    return wrapper


def _instrument() -> None:
    from imgbackup.api import multipart, uploads
    from imgbackup.api.v2 import upload
    from imgbackup.photos import ingest, quota
    from imgbackup.photos import uploads as spool

    uploads.multipart.parse = _timed("receive + parse + hash + write + fsync",
                                     multipart.parse)
    original_fsync = os.fsync
    spool.os = _Os(original_fsync)  # type: ignore[attr-defined]
    upload.ingest = _timed("ingest (all of it)", ingest.ingest)
    ingest.identify = _timed("  probe (identify)", ingest.identify)
    ingest.check_quota = _timed("  quota check(s) in ingest", quota.check_quota)
    uploads.check_quota = _timed("quota check before the body", quota.check_quota)
    ingest._place = _timed("  place (link + folder fsync), twice", ingest._place)
    ingest._commit = _timed("  transaction + commit", ingest._commit)
    upload.photo_json = _timed("photo JSON", upload.photo_json)


class _Os:
    """os, with fsync timed (the spool file's)."""

    def __init__(self, fsync: Callable[[int], None]) -> None:
        self._fsync = _timed("  of which the spool fsync", fsync)

    def fsync(self, fd: int) -> None:
        self._fsync(fd)

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)


def _without(options: list[str]) -> None:
    """``nowriteback``: no early write-out (as where sync_file_range is missing)."""
    if "nowriteback" in options:
        from imgbackup.storage import writeback

        writeback._sync_file_range = None


def main(count: int = 12, api: str = "v2", options: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imgbackup.settings")
    import django

    django.setup()
    _without(options or [])
    from django.contrib.auth.models import User
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.client import BOUNDARY, multipart
    from bench.images import photo_set
    from imgbackup.accounts.tokens import create_token

    call_command("migrate", verbosity=0)
    user, _ = User.objects.get_or_create(username=f"steps-{os.getpid()}")
    token = create_token(user, "steps")[1]
    _instrument()
    handler = WSGIHandler()
    path = "/api/v2/photos" if api == "v2" else "/api/v1.0/service/image/"
    photos = photo_set(count + 1, tag=f"steps-{time.time()}")
    totals = {"request, thread CPU": 0.0, "request, process CPU": 0.0, "request, wall": 0.0}
    statements = 0
    status: list[str] = []
    for i, photo in enumerate(photos):
        body = multipart("file", f"IMG_{i}.jpg", photo)
        environ = {"REQUEST_METHOD": "POST", "PATH_INFO": path, "SERVER_NAME": "127.0.0.1",
                   "SERVER_PORT": "80", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
                   "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
                   "CONTENT_LENGTH": str(len(body)), "HTTP_AUTHORIZATION": f"Bearer {token}",
                   "REMOTE_ADDR": "127.0.0.1", "wsgi.errors": sys.stderr}
        if i == 0:  # warm-up: imports, first connection
            handler(environ, lambda *a: None)
            CPU.clear(), WALL.clear(), CALLS.clear()
            continue
        thread, process, wall = time.thread_time(), time.process_time(), time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            status.clear()
            b"".join(handler(environ, lambda s, h, *a: status.append(s)))
        totals["request, thread CPU"] += time.thread_time() - thread
        totals["request, process CPU"] += time.process_time() - process
        totals["request, wall"] += time.perf_counter() - wall
        statements += len(queries)
        if not status[0].startswith("201"):
            raise SystemExit(f"upload {i}: {status[0]}")
    print(f"{count} photos of {sum(map(len, photos)) / len(photos) / 2**20:.1f} MiB, {path}; "
          f"per photo, ms (CPU of the request thread / wall):")
    for name in CPU:
        print(f"  {name:<42} {CPU[name] / count * 1000:6.2f} / {WALL[name] / count * 1000:6.2f}"
              f"   ({CALLS[name] / count:g} calls)")
    for name, seconds in totals.items():
        print(f"  {name:<42} {seconds / count * 1000:6.2f}")
    print(f"  SQL statements per request: {statements / count:g}")


if __name__ == "__main__":
    numbers = [int(arg) for arg in sys.argv[1:] if arg.isdigit()]
    main(*numbers, api="v1" if "v1" in sys.argv[1:] else "v2", options=sys.argv[1:])
