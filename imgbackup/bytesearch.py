"""Finding a delimiter in a large buffer with the C library's ``memmem``.

The multipart parser (api/multipart.py) looks for its ``\\r\\n--boundary`` delimiter (33 to
72 bytes) in every MiB of an upload it receives. ``bytes.find`` on a needle that long and a
haystack that large switches to CPython's two-way search: ~80-100 us per MiB here, where
glibc's ``memmem`` (also two-way, with a shift table and vector code) takes ~20-30 us
(bench/analysis.md, issue 17, eighth round), about 0.4 ms of a 5.7 MB photo's CPU.

A ``Finder`` is bound to one ``bytearray`` (the body buffer of a server thread, which never
changes size): it pins the buffer and keeps its address, so a search is one call. Where
``memmem`` is not there (not Linux's or another C library with it) ``bytearray.find`` does
the work. Both give the same answer for every needle, start and end: memmem is used only for
a non-empty needle and a range inside the buffer, the cases where they agree by definition
(the first position at or after ``start`` where the needle ends at or before ``end``)."""

from __future__ import annotations

import ctypes
from collections.abc import Callable

from imgbackup import clib

_MemMem = Callable[[int, int, bytes, int], int | None]


def _load() -> _MemMem | None:
    # restype c_void_p: the match's address as an int, or None for NULL
    call: _MemMem | None = clib.function(
        "memmem", (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t),
        ctypes.c_void_p)
    return call


_memmem = _load()


def available() -> bool:
    return _memmem is not None


class Finder:
    """``buffer.find(needle, start, end)``, with memmem where it exists."""

    def __init__(self, buffer: bytearray, use_memmem: bool = True) -> None:
        self.buffer = buffer
        self._memmem = _memmem if use_memmem else None
        # Pins the buffer (it cannot be resized while this lives) and gives its address.
        self._pinned = (ctypes.c_char * len(buffer)).from_buffer(buffer)
        self._address = ctypes.addressof(self._pinned)

    def find(self, needle: bytes, start: int, end: int) -> int:
        memmem = self._memmem
        if memmem is None or not needle or start < 0 or end > len(self.buffer):
            return self.buffer.find(needle, start, end)
        if end - start < len(needle):
            return -1
        hit = memmem(self._address + start, end - start, needle, len(needle))
        return -1 if hit is None else hit - self._address
