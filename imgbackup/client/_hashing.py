"""Read a file once: sniff its type from the first bytes, and hash the rest only if it is an
image or a video. Streaming, so memory stays at one chunk whatever the file's size."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import BinaryIO

from imgbackup.client._sniff import HEAD_SIZE, media_type

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Identity:
    """What a file's bytes are: ``content_type`` None means "neither an image nor a video"
    (then no hash)."""

    content_type: str | None
    sha256: str | None


def identify(path: str) -> tuple[Identity, os.stat_result]:
    """What the file at ``path`` is, with the ``fstat`` of the file that was read (the cache
    key must describe the bytes hashed, even if the file changed since the scan).

    Raises OSError when the file cannot be read (vanished, unreadable)."""
    with open(path, "rb") as f:
        st = os.fstat(f.fileno())
        head = f.read(HEAD_SIZE)
        content_type = media_type(head)
        if content_type is None:
            return Identity(None, None), st
        digest = hashlib.sha256(head)
        update(digest, f)
    return Identity(content_type, digest.hexdigest()), st


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        update(digest, f)
    return digest.hexdigest()


def update(digest: hashlib._Hash, f: BinaryIO) -> None:
    while chunk := f.read(CHUNK):
        digest.update(chunk)
