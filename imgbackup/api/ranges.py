"""Which bytes of a file a request asks for: its ``Range`` and ``If-Range`` headers (RFC 9110
section 14), for downloads that resume.

One range only. Several ranges would need a multipart/byteranges answer that no client of
ours uses; RFC 9110 lets a server ignore a Range header it does not want to honour and send
the whole file, and that is what several ranges, a header that does not parse, or a stale
If-Range get."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.http import HttpRequest

SPEC = re.compile(r"([0-9]*)-([0-9]*)")
# Longer numbers than this are past the end of any file; int() of thousands of digits would
# cost time or raise, and a header may carry that many.
MAX_DIGITS = 18


@dataclass(frozen=True)
class ByteRange:
    first: int
    last: int  # inclusive, as HTTP counts

    @property
    def length(self) -> int:
        return self.last - self.first + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.first}-{self.last}/{size}"


class Unsatisfiable(Exception):
    """The range asked for starts past the end of the file (or is an empty suffix): 416."""


def wanted_range(request: HttpRequest, etag: str, size: int) -> ByteRange | None:
    """The one range of the file to send, or None to send it whole. Raises Unsatisfiable."""
    header = request.headers.get("Range")
    if not header or not _if_range_holds(request, etag):
        return None
    return parse_range(header, size)


def _if_range_holds(request: HttpRequest, etag: str) -> bool:
    """An If-Range that is not our ETag, strongly compared, means the client's part is of
    other bytes: it gets the whole file. A date never holds: we send no Last-Modified."""
    condition = request.headers.get("If-Range")
    return condition is None or condition.strip() == etag


def parse_range(header: str, size: int) -> ByteRange | None:
    """The range ``bytes=first-last``, ``bytes=first-`` or ``bytes=-suffix`` of a file of
    ``size`` bytes, clipped to it; None for anything else (several ranges, another unit,
    nonsense), which is answered with the whole file."""
    unit, _, ranges = header.partition("=")
    specs = [spec.strip() for spec in ranges.split(",") if spec.strip()]
    if unit.strip().lower() != "bytes" or len(specs) != 1 or size <= 0:
        return None
    match = SPEC.fullmatch(specs[0])
    if match is None or match.group(0) == "-":
        return None
    first, last = (_number(digits) for digits in match.groups())
    if first is None:
        return _suffix(last, size)
    if last is not None and last < first:
        return None  # invalid (RFC 9110 14.1.1): ignored like any other
    if first >= size:
        raise Unsatisfiable
    return ByteRange(first, size - 1 if last is None else min(last, size - 1))


def _suffix(length: int | None, size: int) -> ByteRange:
    """The last ``length`` bytes (all of them when the file is shorter)."""
    if not length:
        raise Unsatisfiable
    return ByteRange(max(size - length, 0), size - 1)


def _number(digits: str) -> int | None:
    if not digits:
        return None
    return int(digits) if len(digits) <= MAX_DIGITS else 10**MAX_DIGITS
