"""glibc's allocator in the job worker: give what a render freed back to the kernel.

Freed memory stays with the process. glibc's ``free`` returns only a free block at the very
top of a heap (above 128 KiB); each thread that allocates while another does gets an arena of
its own (up to 8 per core), each keeping its freed blocks; and after the first large block
(a decoded photo's 16 MiB of pixels, Pillow's block size) is freed, glibc raises the size from
which blocks are mapped apart from 128 KiB to up to 32 MiB, so every later photo's pixels land
in an arena that keeps them. A job worker's four loops rendering thumbnails and previews so
kept 10-15 MB after use that nothing used any more (bench item 2, "PSS sum after use").

- ``limit_arenas()``, at the job worker's start: at most ``JOB_ARENAS`` arenas, and blocks from
  ``MMAP_AT`` up mapped on their own, so unmapped when freed.
- ``trim()`` (``malloc_trim(0)``), once a job loop finds no job due after running some: every
  free page of every arena goes back to the kernel. Not after each job: the next render of a
  burst would fault the same pages in again (measured: ~3 % more CPU per render, 4 loops).

The web workers do neither: trimming them after every request was measured and returned
nothing (what they gain after use is live: pages they wrote, see docs/architecture.md).
Elsewhere than glibc (musl, macOS) both do nothing."""

from __future__ import annotations

import ctypes
from typing import Any

M_MMAP_THRESHOLD = -3  # mallopt's parameters (glibc's malloc.h)
M_ARENA_MAX = -8
JOB_ARENAS = 2
MMAP_AT = 4 * 1024 * 1024


def _glibc() -> Any | None:
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    if not hasattr(libc, "malloc_trim") or not hasattr(libc, "mallopt"):
        return None
    return libc


_LIBC = _glibc()


def available() -> bool:
    """Whether this process's C library is glibc (has malloc_trim and mallopt)."""
    return _LIBC is not None


def trim() -> bool:
    """Return the free memory of every arena to the kernel; whether any was returned."""
    return bool(_LIBC is not None and _LIBC.malloc_trim(0))


def limit_arenas(arenas: int = JOB_ARENAS, mmap_at: int = MMAP_AT) -> bool:
    """At most ``arenas`` arenas from now on, and blocks of ``mmap_at`` bytes and up mapped
    apart (and unmapped when freed); False where that cannot be set."""
    if _LIBC is None:
        return False
    return bool(_LIBC.mallopt(M_ARENA_MAX, arenas)) and bool(
        _LIBC.mallopt(M_MMAP_THRESHOLD, mmap_at))
