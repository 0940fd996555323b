"""SHA-256 and MD5 of a resumable upload's bytes, carried from request to request, so the
request that completes the file does not read it all again to hash it.

hashlib's objects cannot be saved (no pickling, no export of their state). OpenSSL's low-level
MD5 and SHA-256 (imgbackup/libcrypto.py, the library hashlib itself uses, through ctypes) keep
theirs in a public struct of ~100 bytes, kept in the upload's row with the offset it stands
for, so any app server can take the next chunk. They release the GIL as hashlib does, so the
MD5 runs in the process's helper thread beside the SHA-256 and the write of each piece
(imgbackup/hashing.py), as the multipart uploads' hashes do. Where that libcrypto is not
found or fails its known-answer test, ``rehashes`` (RustCrypto's hashes, made by CERT Polska
for chunked uploads hashed without re-reading) is used, as before: it holds the GIL while it
hashes, so both hashes then run one after the other in the request's thread.

Policy: the saved state is used only when its format says it was written in this code's
layout (``FORMAT``: OpenSSL's struct in this byte order, or that version of rehashes) and
covers exactly the committed offset. Anything else (an upload begun before this existed or on
a server using the other implementation, a library upgraded mid-upload, a state that does not
deserialise or does not count the bytes it should) is not an error: the hashes are dropped
and completion hashes the whole file by reading it, as it did before (storage/partials.py)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from importlib.metadata import version
from typing import Any

from imgbackup import libcrypto
from imgbackup.hashing import md5_alongside

FAST = libcrypto.available()
if FAST:
    FORMAT = libcrypto.FORMAT
else:
    from rehashes import PyMd5, PySha256

    FORMAT = f"rehashes-{version('rehashes')}"


class RunningHashes:
    """Both hashes of bytes 0 to ``at`` of an upload."""

    def __init__(self, sha256: Any, md5: Any, at: int) -> None:
        self.sha256 = sha256
        self.md5 = md5
        self.at = at

    @classmethod
    def start(cls) -> RunningHashes:
        if FAST:
            return cls(libcrypto.sha256(), libcrypto.md5(), 0)
        return cls(PySha256(), PyMd5(), 0)

    @classmethod
    def resume(cls, saved: Mapping[str, Any] | None, offset: int) -> RunningHashes | None:
        """The hashes to continue from ``offset``, or None when they cannot be trusted."""
        if offset == 0:
            return cls.start()
        if not saved or saved.get("format") != FORMAT or saved.get("at") != offset:
            return None
        try:
            sha256 = base64.b64decode(saved["sha256"], validate=True)
            md5 = base64.b64decode(saved["md5"], validate=True)
            if FAST:
                return cls(libcrypto.sha256(sha256, offset), libcrypto.md5(md5, offset), offset)
            return cls(PySha256.deserialize(sha256), PyMd5.deserialize(md5), offset)
        except (KeyError, TypeError, ValueError, binascii.Error):
            return None

    @contextmanager
    def updating(self, piece: bytes | memoryview) -> Iterator[None]:
        """Hash ``piece``, its MD5 in the helper thread while the block (the piece's write)
        runs, when it pays; the helper is done with ``piece`` when the block is left."""
        if FAST:
            with md5_alongside(self.md5, piece):
                self.sha256.update(piece)
                yield
        else:
            # One copy for both hashes: rehashes 0.3.0 takes bytes only (PyO3 fills its
            # ``&[u8]`` argument from a bytes object; a memoryview or bytearray is a TypeError,
            # pinned by tests/core/test_running_hashes.py). Measured over 100 MiB in 1 MiB
            # pieces: the copy ~2.5 ms of CPU, the two hashes ~227 ms.
            data = piece if isinstance(piece, bytes) else bytes(piece)
            self.sha256.update(data)
            self.md5.update(data)
            yield
        self.at += len(piece)

    def update(self, piece: bytes | memoryview) -> None:
        with self.updating(piece):
            pass

    def saved(self) -> dict[str, Any]:
        """JSON-safe, for the upload's row."""
        return {"format": FORMAT, "at": self.at,
                "sha256": base64.b64encode(self.sha256.serialize()).decode(),
                "md5": base64.b64encode(self.md5.serialize()).decode()}

    def hexdigests(self) -> tuple[str, str]:
        if FAST:
            return self.sha256.hexdigest(), self.md5.hexdigest()
        return str(self.sha256.finalize()), str(self.md5.finalize())
