"""RunningHashes takes the body's pieces as they come: views of a reused buffer
(imgbackup/body.py), which rehashes cannot read itself."""

from __future__ import annotations

import hashlib
import os

import pytest
from conftest import on_postgres, on_s3
from rehashes import PyMd5, PySha256

from imgbackup.photos.running_hashes import RunningHashes

pytestmark = pytest.mark.skipif(on_s3() or on_postgres(),
                                reason="no database or storage involved")


def test_it_hashes_views_of_a_reused_buffer() -> None:
    data = os.urandom(3000)
    buffer = bytearray(1024)
    view = memoryview(buffer)
    hashes = RunningHashes.start()
    for start in range(0, len(data), 1024):
        piece = data[start:start + 1024]
        buffer[:len(piece)] = piece
        hashes.update(view[:len(piece)])
    assert hashes.at == len(data)
    assert hashes.hexdigests() == (hashlib.sha256(data).hexdigest(), hashlib.md5(data).hexdigest())


@pytest.mark.parametrize("hasher", [PySha256, PyMd5])
def test_rehashes_still_takes_bytes_only(hasher: type[PySha256 | PyMd5]) -> None:
    """Why update() copies a view to bytes. When this fails (a rehashes that reads buffers),
    drop the copy there."""
    with pytest.raises(TypeError):
        hasher().update(memoryview(b"abc"))
