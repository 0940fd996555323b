"""One byte range of a stored object, as a file: what a ``206 Partial Content`` is sent from."""

from __future__ import annotations

import io
from typing import IO


class PartialFile:
    """Bytes ``first`` to ``last`` (inclusive) of ``source``, which is already at ``first``
    (a local file seeked there, or the body of a ranged S3 GET).

    Reads stop at ``last``: Django's FileResponse and WSGI file wrappers read until a read
    answers nothing, and would otherwise read, and Django's test client send, the rest of the
    file. ``fileno()``, ``seek()`` and ``tell()`` speak of positions in the whole file, as
    ``socket.sendfile()`` and gunicorn expect, so a local range still goes out by sendfile()
    from the file's descriptor (gunicorn sends Content-Length bytes from its position)."""

    def __init__(self, source: IO[bytes], first: int, last: int) -> None:
        self._source = source
        self._first = first
        self._end = last + 1
        self._position = first

    @property
    def name(self) -> str:
        """The source's name, so FileResponse names the file as it does for a whole one."""
        name = getattr(self._source, "name", "")
        return name if isinstance(name, str) else ""

    def read(self, size: int = -1) -> bytes:
        left = self._end - self._position
        size = left if size < 0 else min(size, left)
        data = self._source.read(size) if size > 0 else b""
        self._position += len(data)
        return data

    def fileno(self) -> int:
        return self._source.fileno()

    def seekable(self) -> bool:
        return bool(getattr(self._source, "seekable", lambda: False)())

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move within the range (a position outside it is taken to its nearest end)."""
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._end}[whence]
        self._position = min(max(base + offset, self._first), self._end)
        self._source.seek(self._position)
        return self._position

    def close(self) -> None:
        self._source.close()
