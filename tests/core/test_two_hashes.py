"""SHA-256 and MD5 side by side (photos/two_hashes.py): the same digests as one thread, and
the caller's buffer is never reused while the helper thread still reads it."""

from __future__ import annotations

import hashlib
import os

import pytest

from imgbackup.photos import two_hashes
from imgbackup.photos.two_hashes import TwoHashes

pytestmark = pytest.mark.backend_independent
MIB = 1024 * 1024


@pytest.mark.parametrize("split", [True, False])
def test_the_digests_are_those_of_one_thread(split: bool) -> None:
    data = os.urandom(3 * MIB + 12345)
    hashes = TwoHashes()
    hashes.split = split
    view = memoryview(data)
    for start in range(0, len(data), MIB // 3):  # pieces over and under SPLIT_FROM
        hashes.update(view[start:start + MIB // 3])
    hashes.update(b"tail")
    assert hashes.hexdigests() == (hashlib.sha256(data + b"tail").hexdigest(),
                                   hashlib.md5(data + b"tail").hexdigest())


def test_a_reused_buffer_is_read_before_update_returns() -> None:
    buffer = bytearray(MIB)
    sent = b""
    hashes = TwoHashes()
    hashes.split = True
    for seed in range(4):
        buffer[:] = bytes([seed]) * MIB  # the next piece overwrites the same buffer
        hashes.update(memoryview(buffer), also=lambda: None)
        sent += bytes(buffer)
    assert hashes.hexdigests() == (hashlib.sha256(sent).hexdigest(),
                                   hashlib.md5(sent).hexdigest())


def test_a_failing_write_still_waits_for_the_helper(monkeypatch: pytest.MonkeyPatch) -> None:
    waited: list[bool] = []

    class Future:
        def result(self) -> None:
            waited.append(True)

    class Pool:
        def submit(self, *args: object) -> Future:
            return Future()

    monkeypatch.setattr(two_hashes, "_helper", lambda: Pool())
    hashes = TwoHashes()
    hashes.split = True

    def disk_full() -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        hashes.update(bytes(MIB), also=disk_full)
    assert waited == [True]


def test_a_forked_process_makes_its_own_helpers(monkeypatch: pytest.MonkeyPatch) -> None:
    first = two_hashes._helper()
    assert two_hashes._helper() is first
    monkeypatch.setattr(os, "getpid", lambda: -1)  # as in a child after fork
    assert two_hashes._helper() is not first
