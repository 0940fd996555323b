"""Functions of the C library called with ctypes (``sync_file_range`` for the spool's write-out,
``memmem`` for the multipart boundary): the library loaded once, each function typed where it
is looked up, ``None`` where the library or the function is not there (the callers then fall
back to Python's own way)."""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache
from typing import Any


@cache
def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    except OSError:
        return None


def function(name: str, argtypes: tuple[Any, ...], restype: Any) -> Any | None:
    """The C library's ``name`` with its argument and result types set, or ``None``."""
    libc = _libc()
    call = getattr(libc, name, None) if libc is not None else None
    if call is None:
        return None
    call.argtypes, call.restype = argtypes, restype
    return call
