"""Freed memory goes back to the kernel (imgbackup/allocator.py): glibc keeps what a render
freed unless told (bench item 2, "PSS sum after use")."""

from __future__ import annotations

import subprocess
import sys

import pytest

from imgbackup import allocator

pytestmark = pytest.mark.backend_independent
glibc = pytest.mark.skipif(not allocator.available(), reason="glibc's malloc only")

# What both child processes start with: the C library's malloc and free, and the resident size.
_PRELUDE = """
import ctypes
from imgbackup import allocator
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
def rss():
    return int(open("/proc/self/statm").read().split()[1]) * 4096
"""

# A child process: 40 MB in 64 KiB blocks (below glibc's mmap threshold: in the heap), all
# freed but the last, which keeps the heap's top in use, so free() alone returns nothing.
_HELD_AFTER_FREE = _PRELUDE + """
blocks = [libc.malloc(64 * 1024) for _ in range(640)]
for block in blocks:
    ctypes.memset(block, 1, 64 * 1024)
for block in blocks[:-1]:
    libc.free(block)
freed = rss()
{trim}
print(freed - rss())
"""


def _returned(script: str, **fields: str) -> int:
    """The bytes given back to the kernel that ``script`` (with ``fields`` filled in) prints,
    run in a child process of its own: the allocator's state is the process's."""
    out = subprocess.run([sys.executable, "-c", script.format(**fields)],
                         capture_output=True, text=True, check=True).stdout
    return int(out)


@glibc
def test_a_trim_returns_what_free_kept() -> None:
    assert _returned(_HELD_AFTER_FREE, trim="") < 5 * 2**20  # free() alone kept the 40 MB
    assert _returned(_HELD_AFTER_FREE, trim="allocator.trim()") > 30 * 2**20


# A photo's pixels: after a 20 MiB block was freed, glibc (by default) serves the next 16 MiB
# from the heap and keeps them when freed; mapped apart, they are unmapped.
_PIXELS_AFTER_FREE = _PRELUDE + """
libc.free(libc.malloc(20 * 2**20))
assert {limit} in (True, None)
pixels = libc.malloc(16 * 2**20)
ctypes.memset(pixels, 1, 16 * 2**20)
held = rss()
libc.free(pixels)
print(held - rss())
"""


@glibc
def test_a_job_workers_large_blocks_are_unmapped_when_freed() -> None:
    assert _returned(_PIXELS_AFTER_FREE, limit="None") < 2**20  # glibc's default: kept
    assert _returned(_PIXELS_AFTER_FREE, limit="allocator.limit_arenas()") > 15 * 2**20
