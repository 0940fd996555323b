"""The two hashes every upload needs, of the same bytes: SHA-256 (the object's name) and MD5
(the original API's ``?md5=``). Below both the storage (storage/partials.py hashes an
assembled resumable upload) and the photos app (photos/uploads.py hashes a spooled upload),
so neither reaches into the other for them."""

from __future__ import annotations

import hashlib
from pathlib import Path

HASH_CHUNK = 1024 * 1024


class BothHashes:
    """SHA-256 and MD5 of the same bytes, in the caller's thread. (MD5 in a helper thread
    beside them, tried in issue 17, showed no gain on a shared 2-core machine in three rounds
    of measurement and was removed: bench/analysis.md, item 1b.)"""

    def __init__(self) -> None:
        self.sha256 = hashlib.sha256()
        self.md5 = hashlib.md5(usedforsecurity=False)

    def update(self, data: bytes | memoryview) -> None:
        self.sha256.update(data)
        self.md5.update(data)

    def hexdigests(self) -> tuple[str, str]:
        return self.sha256.hexdigest(), self.md5.hexdigest()


def hash_file(path: Path, size: int) -> tuple[str, str]:
    """SHA-256 and MD5 of the first ``size`` bytes of ``path``, read 1 MiB at a time."""
    hashes = BothHashes()
    remaining = size
    with path.open("rb") as f:
        while remaining > 0:
            chunk = f.read(min(HASH_CHUNK, remaining))
            if not chunk:
                raise ValueError(f"{path} is shorter than {size} bytes")
            hashes.update(chunk)
            remaining -= len(chunk)
    return hashes.hexdigests()
