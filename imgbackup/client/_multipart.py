"""The ``multipart/form-data`` body of one upload, framed here and streamed from the files in
large reads, with its exact length known before the first byte goes out.

httpx's own multipart encoder reads files 64 KiB at a time; every piece then goes through
httpx, httpcore and h11 and costs a ``read``, a ``poll``, an ``ioctl`` and a ``send``, which
was much of what ``imgbackup push`` spent beyond hashing (bench item 1b). 256 KiB per read
sends the same bytes in a quarter of the trips (1 MiB cost the same CPU: each fresh 1 MiB
object page-faults in), with memory still one chunk per connection whatever the file's
size. Where it can, the push sends the files' bytes with sendfile instead (client/_sendfile.py,
``Body.pieces``)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

CHUNK = 256 * 1024  # bytes per read of a file being sent

# How browsers (and httpx) write a name inside a quoted header parameter (HTML's rules).
_ESCAPES = {'"': "%22", "\\": "\\\\"} | {chr(c): f"%{c:02X}" for c in range(0x20) if c != 0x1B}
_ESCAPE = re.compile("|".join(re.escape(c) for c in _ESCAPES))


class Readable(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class FilePart:
    name: str  # the form field
    filename: str
    content_type: str
    size: int  # exactly the bytes ``source`` gives before it returns b""
    source: Readable


class Body:
    """``fields`` (each name with its values, in order) then ``files``, under one boundary."""

    def __init__(self, fields: Sequence[tuple[str, str]], files: Sequence[FilePart]) -> None:
        self.boundary = os.urandom(16).hex()
        self._fields = b"".join(self._head(name) + b"\r\n\r\n" + value.encode() + b"\r\n"
                                for name, value in fields)
        self._files = files
        self._heads = [self._head(f.name, f.filename) + b"\r\nContent-Type: "
                       + f.content_type.encode() + b"\r\n\r\n" for f in files]
        self._end = f"--{self.boundary}--\r\n".encode()

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return (len(self._fields) + sum(len(h) + f.size + 2 for h, f in
                                        zip(self._heads, self._files, strict=True))
                + len(self._end))

    def pieces(self) -> Iterator[bytes | FilePart]:
        """The body as framing bytes and the file parts between them, in order (for a sender
        that puts files on the socket itself, client/_sendfile.py)."""
        lead = self._fields
        for head, part in zip(self._heads, self._files, strict=True):
            yield lead + head
            yield part
            lead = b"\r\n"
        yield lead + self._end

    def __iter__(self) -> Iterator[bytes]:
        for piece in self.pieces():
            if isinstance(piece, bytes):
                yield piece
            else:
                yield from _read(piece)

    def _head(self, name: str, filename: str | None = None) -> bytes:
        head = f'--{self.boundary}\r\nContent-Disposition: form-data; name="{_quoted(name)}"'
        if filename is not None:
            head += f'; filename="{_quoted(filename)}"'
        return head.encode()


def _read(part: FilePart) -> Iterator[bytes]:
    left = part.size
    while left > 0:
        chunk = part.source.read(min(CHUNK, left))
        if not chunk:  # the source must raise rather than come up short
            raise ValueError(f"{part.filename}: fewer bytes than announced")
        left -= len(chunk)
        yield chunk


def _quoted(value: str) -> str:
    return _ESCAPE.sub(lambda m: _ESCAPES[m.group(0)], value)
