"""RunningHashes takes the body's pieces as they come: views of a reused buffer
(imgbackup/body.py). Its MD5 and SHA-256 are OpenSSL's through ctypes (imgbackup/libcrypto.py),
their state saved and continued; rehashes where that libcrypto cannot be used."""

from __future__ import annotations

import base64
import hashlib
import itertools
import os
import random
import sys
from typing import Any

import pytest
from conftest import on_postgres, on_s3
from rehashes import PyMd5, PySha256

from imgbackup import hashing, libcrypto
from imgbackup.photos import running_hashes
from imgbackup.photos.running_hashes import FORMAT, RunningHashes

pytestmark = pytest.mark.skipif(on_s3() or on_postgres(),
                                reason="no database or storage involved")
linux = pytest.mark.skipif(not sys.platform.startswith("linux"),
                           reason="libcrypto is loaded on Linux only")


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
    """Why the fallback's update copies a view to bytes. When this fails (a rehashes that reads
    buffers), drop the copy there."""
    with pytest.raises(TypeError):
        hasher().update(memoryview(b"abc"))


@linux
def test_openssl_is_used_on_linux() -> None:
    assert libcrypto.available() and running_hashes.FAST
    assert FORMAT.removesuffix(sys.byteorder) == "openssl-ctx-1-"


@linux
@pytest.mark.parametrize("seed", range(5))
def test_saved_and_continued_at_random_places_the_digests_are_hashlibs(seed: int) -> None:
    rng = random.Random(seed)
    data = rng.randbytes(rng.randrange(1, 6 * hashing.SPLIT_FROM))
    cuts = sorted({0, len(data), *(rng.randrange(len(data)) for _ in range(6))})
    hashes = RunningHashes.start()
    buffer = bytearray(len(data))
    for start, end in itertools.pairwise(cuts):
        saved = hashes.saved()
        again = RunningHashes.resume(saved, start)
        assert again is not None
        hashes = again
        for at in range(start, end, 300_000):  # one request's pieces, in a reused buffer
            piece = data[at:min(end, at + 300_000)]  # the larger ones' MD5 in the helper
            buffer[:len(piece)] = piece
            kind: Any = rng.choice([memoryview(buffer)[:len(piece)], piece,
                                    memoryview(piece)])
            hashes.update(kind)
    assert hashes.at == len(data)
    assert hashes.hexdigests() == (hashlib.sha256(data).hexdigest(), hashlib.md5(data).hexdigest())


@linux
def test_the_md5_runs_in_the_helper_beside_the_block(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hashing, "_cpu_count", lambda: 2)
    data = os.urandom(hashing.SPLIT_FROM)
    hashes = RunningHashes.start()
    with hashes.updating(data):
        helper = hashing._helper
        assert helper is not None and helper.free.locked()  # in use while the piece is written
    assert not helper.free.locked()
    assert hashes.hexdigests() == (hashlib.sha256(data).hexdigest(), hashlib.md5(data).hexdigest())


@linux
@pytest.mark.parametrize("which", ["sha256", "md5"])
@pytest.mark.parametrize("damage", ["short", "long", "count", "num"])
def test_a_state_of_the_wrong_size_or_count_is_refused(which: str, damage: str) -> None:
    hashes = RunningHashes.start()
    hashes.update(b"x" * 100)
    saved = hashes.saved()
    state = bytearray(base64.b64decode(saved[which]))
    kind = libcrypto._SHA256 if which == "sha256" else libcrypto._MD5
    if damage == "short":
        del state[-1]
    elif damage == "long":
        state += b"\0"
    elif damage == "count":
        state[kind.count_at] ^= 8  # the bits hashed: one byte more or less
    else:
        state[kind.num_at] = 200  # bytes in the last block: past its end
    saved[which] = base64.b64encode(state).decode()
    assert RunningHashes.resume(saved, 100) is None


@linux
def test_a_library_that_fails_the_known_answer_test_is_not_used(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """As if OpenSSL's MD5_CTX were laid out otherwise: what is saved misses the bytes waiting
    in the last block."""
    libcrypto._loaded.cache_clear()
    try:
        assert libcrypto.available()
        real = libcrypto.SavedHash.serialize

        def misplaced(self: libcrypto.SavedHash) -> bytes:
            state = real(self)
            if self._f.kind.prefix != "MD5":
                return state
            return state[:24] + bytes(64) + state[88:]  # MD5_CTX's block, as if elsewhere

        monkeypatch.setattr(libcrypto.SavedHash, "serialize", misplaced)
        libcrypto._loaded.cache_clear()
        assert not libcrypto.available()
    finally:
        monkeypatch.undo()
        libcrypto._loaded.cache_clear()
    assert libcrypto.available()


def test_without_libcrypto_rehashes_is_used_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    monkeypatch.setattr(libcrypto, "available", lambda: False)
    try:
        fallback = importlib.reload(running_hashes)
        assert not fallback.FAST and fallback.FORMAT.startswith("rehashes-")
        data = os.urandom(5000)
        first = fallback.RunningHashes.start()
        first.update(memoryview(data)[:1234])
        later = fallback.RunningHashes.resume(first.saved(), 1234)
        assert later is not None
        later.update(data[1234:])
        assert later.hexdigests() == (hashlib.sha256(data).hexdigest(),
                                      hashlib.md5(data).hexdigest())
        # a state saved by the fast path is not that layout: dropped
        assert fallback.RunningHashes.resume({**first.saved(), "format": "openssl-ctx-1-little"},
                                             1234) is None
    finally:
        monkeypatch.undo()
        importlib.reload(running_hashes)
