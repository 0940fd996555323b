"""CPU per 6 MB photo of imgbackup's multipart parser (imgbackup/api/multipart.py) against
streaming-form-data (a Cython parser on PyPI), on the same body read 1 MiB at a time, with an
empty sink (parsing alone) and with the sink every upload has (SHA-256, MD5, a write).

Not part of ``make bench`` (streaming-form-data is no dependency): install it in a scratch
environment and run ``IMGBACKUP_DATA_DIR=$(mktemp -d) python -m bench.multipart_parsers``.
The figures are in docs/architecture.md (step 3 of an upload) and bench/analysis.md (1b)."""

from __future__ import annotations

import hashlib
import io
import os
import time
from collections.abc import Callable
from typing import Any

MIB = 1 << 20


class Sink:
    def __init__(self, work: bool) -> None:
        self.work, self.count = work, 0
        self.sha256, self.md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
        self.null = os.open(os.devnull, os.O_WRONLY)

    def write(self, data: bytes | memoryview) -> None:
        self.count += len(data)
        if self.work:
            self.sha256.update(data)
            self.md5.update(data)
            os.write(self.null, data)

    def close(self) -> None:
        os.close(self.null)


class Reader:
    """A BodyReader over bytes in memory, 1 MiB per read like the socket reader."""

    def __init__(self, body: bytes) -> None:
        self.source, self.remaining = io.BytesIO(body), len(body)

    def readinto(self, view: memoryview) -> int:
        got = self.source.readinto(view[:MIB])
        self.remaining -= got
        return got


def ours(body: bytes, boundary: str, work: bool) -> int:
    from imgbackup.api import multipart

    sinks: list[Sink] = []

    class Parser(multipart._Parser):
        def _file(self, name: str, filename: str, content_type: str) -> None:
            sinks.append(Sink(work))
            self._stream(sinks[-1])  # type: ignore[arg-type]  # any object with write()

    Parser(Reader(body), boundary.encode()).run()
    sinks[0].close()
    return sinks[0].count


def streaming_form_data(body: bytes, boundary: str, work: bool) -> int:
    from streaming_form_data import StreamingFormDataParser
    from streaming_form_data.targets import BaseTarget

    class Target(BaseTarget):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.sink = Sink(work)

        def on_data_received(self, chunk: bytes) -> None:
            self.sink.write(chunk)

    parser = StreamingFormDataParser(
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    target = Target()
    parser.register("file", target)
    source, buffer = io.BytesIO(body), bytearray(MIB)
    while got := source.readinto(buffer):
        parser.data_received(bytes(buffer[:got]))  # it takes bytes only
    target.sink.close()
    return int(target.sink.count)


def best_ms(parse: Callable[..., int], *args: Any, repeats: int = 20) -> float:
    results = []
    for _ in range(5):
        start = time.process_time()
        for _ in range(repeats):
            parse(*args)
        results.append((time.process_time() - start) / repeats * 1000)
    return min(results)


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imgbackup.settings")
    django.setup()
    from bench.client import BOUNDARY, multipart
    from bench.images import camera_jpeg

    photo = camera_jpeg(1, (4000, 3000))
    body = multipart("file", "IMG_1.jpg", photo)
    print(f"body {len(body) / 1e6:.1f} MB")
    for work in (False, True):
        for parse in (ours, streaming_form_data):
            assert parse(body, BOUNDARY, work) == len(photo)
            what = "parse + SHA-256 + MD5 + write" if work else "parse only"
            print(f"{what}: {parse.__name__}: {best_ms(parse, body, BOUNDARY, work):.2f} ms "
                  "CPU per photo")


if __name__ == "__main__":
    main()
