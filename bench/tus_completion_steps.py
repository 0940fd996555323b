"""Where the last chunk of a tus upload spends its time, step by step, in-process (no HTTP):

    IMGBACKUP_DATA_DIR=$(mktemp -d) .venv/bin/python scripts/with-backends \\
        .venv/bin/python -m bench.tus_completion_steps [MIB] [CHUNK_MIB] [reread]

On PostgreSQL + S3 (as above) or, without with-backends, SQLite + local disk. Sends a file of
MIB MiB (default 256: a JPEG and noise) in CHUNK_MIB chunks (default 32) through
photos/resumable.py and prints the last chunk's time with the steps of completion it contains
(the storage and ingest functions wrapped with timers). ``reread``: as before the hashes were
carried from chunk to chunk, completion reads the file to hash it. Item 11d measures the same
from the outside, over HTTP; docs/api.md quotes both."""

from __future__ import annotations

import functools
import io
import os
import sys
import time
from collections.abc import Callable
from typing import Any

MIB = 1 << 20
TIMINGS: dict[str, float] = {}


def _timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            TIMINGS[name] = TIMINGS.get(name, 0.0) + time.perf_counter() - start

    return wrapper


def _instrument() -> None:
    from imgbackup.photos import ingest, resumable
    from imgbackup.storage import partials

    for store in (partials.S3Partials, partials.LocalPartials):
        store.assemble = _timed("assemble (S3: complete the multipart upload, GET it into "
                                "the spool)", store.assemble)  # type: ignore[method-assign]
        store.discard = _timed("discard what is left", store.discard)  # type: ignore[method-assign]
    partials.hash_file = _timed("read the file to hash it (no saved state)", partials.hash_file)
    ingest.identify = _timed("ingest: identify", ingest.identify)
    ingest._place = _timed("ingest: place under the hash (S3: copy inside the store)",
                           ingest._place)
    resumable.ingest = _timed("ingest, all of it", resumable.ingest)


def _forget_hashes_at(size: int) -> None:
    from imgbackup.photos import resumable

    carried = resumable.RunningHashes.resume

    def resume(saved: Any, offset: int) -> Any:
        return None if offset == size else carried(saved, offset)

    resumable.RunningHashes.resume = resume  # type: ignore[method-assign,assignment]


def main(size_mib: int = 256, chunk_mib: int = 32, reread: bool = False) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imgbackup.settings")
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from PIL import Image

    from imgbackup.photos.resumable import Chunk, Claims, append, create

    call_command("migrate", verbosity=0)
    _instrument()
    user, _ = User.objects.get_or_create(username="completion-steps")
    picture = io.BytesIO()
    Image.new("RGB", (640, 480), (1, 2, 3)).save(picture, "JPEG")
    size, chunk = size_mib * MIB, chunk_mib * MIB
    data = picture.getvalue() + os.urandom(size - len(picture.getvalue()))
    if reread:
        _forget_hashes_at(size)
    upload = create(user, size, Claims())
    took = 0.0
    for offset in range(0, size, chunk):
        TIMINGS.clear()
        end = min(offset + chunk, size)
        start = time.perf_counter()
        append(upload, Chunk(offset, (data[i:min(i + MIB, end)] for i in range(offset, end, MIB))))
        took = time.perf_counter() - start
    print(f"{size_mib} MiB in {chunk_mib} MiB chunks; the last chunk: {took:.2f} s")
    for name, seconds in TIMINGS.items():
        print(f"  {name}: {seconds:.2f} s")


if __name__ == "__main__":
    numbers = [int(arg) for arg in sys.argv[1:] if arg.isdigit()]
    main(*numbers, reread="reread" in sys.argv[1:])
