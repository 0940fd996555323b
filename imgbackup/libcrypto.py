"""MD5 and SHA-256 whose state can be saved and continued later, in another process, from
OpenSSL's libcrypto (the library Python's hashlib itself hashes with) called with ctypes.

hashlib's objects cannot be saved; OpenSSL's low-level ``MD5_Init``/``MD5_Update``/``MD5_Final``
(and ``SHA256_*``) keep their whole state in a public, fixed-size struct (``MD5_CTX``, 92 bytes;
``SHA256_CTX``, 112), so saving is copying those bytes and continuing is copying them back.
ctypes releases the GIL for the call, so an MD5 in a helper thread runs beside the caller's
SHA-256 and write, as hashlib's does (imgbackup/hashing.py); ``update`` reads a view of a
writable buffer in place (no copy).

Loaded only on Linux, by the soname of OpenSSL 3 (elsewhere an unversioned libcrypto may be
the system's private one: macOS aborts the process that loads it). Before it is used, a
known-answer test hashes two texts in two pieces with a save and a restore between and
compares the digests with hashlib's: a library whose structs are not the sizes and layout
assumed here is not used, and ``available()`` is False (the caller falls back).

A saved state is taken back only if it has the struct's size and its own count of the bytes
hashed (bits in ``Nl``/``Nh``, bytes in the last block in ``num``) is the offset it is said to
stand for: a state from elsewhere, or damaged, is refused (``ValueError``) rather than handed
to C code that indexes its block with ``num``."""

from __future__ import annotations

import ctypes
import hashlib
import struct
import sys
from dataclasses import dataclass
from functools import cache
from typing import Any

# The layout of the saved bytes: OpenSSL's struct, in this machine's byte order.
FORMAT = f"openssl-ctx-1-{sys.byteorder}"
_BLOCK = 64


@dataclass(frozen=True)
class _Kind:
    prefix: str  # MD5 or SHA256
    size: int  # sizeof the CTX struct
    count_at: int  # offset of Nl (then Nh): bits hashed, low and high 32 bits
    num_at: int  # offset of num: bytes waiting in the last block
    digest_size: int


_MD5 = _Kind("MD5", 92, 16, 88, 16)
_SHA256 = _Kind("SHA256", 112, 32, 104, 32)


class _Functions:
    def __init__(self, lib: ctypes.CDLL, kind: _Kind) -> None:
        self.kind = kind
        self.init = getattr(lib, f"{kind.prefix}_Init")
        self.update = getattr(lib, f"{kind.prefix}_Update")
        self.final = getattr(lib, f"{kind.prefix}_Final")
        self.init.argtypes, self.init.restype = (ctypes.c_void_p,), ctypes.c_int
        self.update.argtypes = (ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)
        self.update.restype = ctypes.c_int
        self.final.argtypes, self.final.restype = (ctypes.c_void_p, ctypes.c_void_p), ctypes.c_int


class SavedHash:
    """One hash of bytes 0 to ``at``; its state is ``serialize()``'s bytes."""

    def __init__(self, functions: _Functions, state: bytes | None = None, at: int = 0) -> None:
        kind = functions.kind
        self._f = functions
        self._ctx = ctypes.create_string_buffer(kind.size)
        self.at = at
        if state is None:
            if self._f.init(self._ctx) != 1:
                raise RuntimeError(f"{kind.prefix}_Init failed")
            return
        if len(state) != kind.size:
            raise ValueError(f"a saved {kind.prefix} state has {kind.size} bytes")
        low, high = struct.unpack_from("=II", state, kind.count_at)
        (num,) = struct.unpack_from("=I", state, kind.num_at)
        if (high << 32 | low) != at * 8 or num != at % _BLOCK:
            raise ValueError(f"the saved {kind.prefix} state does not stand for {at} bytes")
        ctypes.memmove(self._ctx, state, kind.size)

    def update(self, data: bytes | bytearray | memoryview) -> None:
        size = len(data) if not isinstance(data, memoryview) else data.nbytes
        if size == 0:
            return
        if isinstance(data, bytes):
            pointer: Any = data
        elif isinstance(data, memoryview) and data.readonly:
            pointer = data.tobytes()  # a view of bytes: ctypes cannot point into it
        else:
            pointer = (ctypes.c_char * size).from_buffer(data)
        if self._f.update(self._ctx, pointer, size) != 1:
            raise RuntimeError(f"{self._f.kind.prefix}_Update failed")
        self.at += size

    def serialize(self) -> bytes:
        return self._ctx.raw

    def hexdigest(self) -> str:
        """The digest of the bytes so far; the state goes on unchanged (a copy is finished)."""
        copy = ctypes.create_string_buffer(self._ctx.raw, self._f.kind.size)
        out = ctypes.create_string_buffer(self._f.kind.digest_size)
        if self._f.final(out, copy) != 1:
            raise RuntimeError(f"{self._f.kind.prefix}_Final failed")
        return out.raw.hex()


def _agrees(functions: _Functions, reference: Any) -> bool:
    """The known-answer test: in two pieces, saved and restored between, as hashlib says."""
    for text, cut in ((b"abc", 1), (bytes(range(256)) * 3, 130)):
        first = SavedHash(functions)
        first.update(text[:cut])
        rest = SavedHash(functions, first.serialize(), cut)
        rest.update(memoryview(bytearray(text[cut:])))
        if rest.hexdigest() != reference(text).hexdigest():
            return False
    return True


@cache
def _loaded() -> tuple[_Functions, _Functions] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        lib = ctypes.CDLL("libcrypto.so.3")
        md5, sha256 = _Functions(lib, _MD5), _Functions(lib, _SHA256)
        agrees = (_agrees(md5, lambda b: hashlib.md5(b, usedforsecurity=False))
                  and _agrees(sha256, hashlib.sha256))
    except (OSError, AttributeError, ValueError, RuntimeError):
        return None
    return (md5, sha256) if agrees else None


def available() -> bool:
    return _loaded() is not None


def md5(state: bytes | None = None, at: int = 0) -> SavedHash:
    """A new MD5, or one continued from ``state`` (standing for ``at`` bytes)."""
    loaded = _loaded()
    if loaded is None:
        raise RuntimeError("OpenSSL's libcrypto is not available")
    return SavedHash(loaded[0], state, at)


def sha256(state: bytes | None = None, at: int = 0) -> SavedHash:
    loaded = _loaded()
    if loaded is None:
        raise RuntimeError("OpenSSL's libcrypto is not available")
    return SavedHash(loaded[1], state, at)
