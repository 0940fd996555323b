"""SHA-256 and MD5 side by side (imgbackup/hashing.py): the digests of one thread whatever the
pieces, the caller's buffer never refilled while the helper still reads it, and a failure in
the helper raised in the caller, never a digest."""

from __future__ import annotations

import hashlib
import os
import threading
import time

import pytest

from imgbackup import hashing
from imgbackup.hashing import SPLIT_FROM, BothHashes, HashFailed

pytestmark = pytest.mark.backend_independent
MIB = 1024 * 1024


@pytest.fixture
def two_cpus(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """As on a machine with two CPUs; the sizes of the pieces handed to the helper."""
    monkeypatch.setattr(hashing, "_cpu_count", lambda: 2)
    handed: list[int] = []
    start = hashing._Helper.start

    def counted(helper: hashing._Helper, hasher: object, data: bytes | memoryview) -> None:
        handed.append(len(data))
        start(helper, hasher, data)

    monkeypatch.setattr(hashing._Helper, "start", counted)
    return handed


class SlowMd5:
    """MD5 that starts late, in whichever thread: a buffer refilled too early shows."""

    def __init__(self) -> None:
        self.real = hashlib.md5()
        self.threads: set[str] = set()

    def update(self, data: bytes | memoryview) -> None:
        self.threads.add(threading.current_thread().name)
        time.sleep(0.02)
        self.real.update(data)

    def hexdigest(self) -> str:
        return self.real.hexdigest()


def test_the_digests_are_those_of_hashlib_on_any_boundaries(two_cpus: list[int]) -> None:
    data = os.urandom(3 * MIB + 12345)
    view = memoryview(data)
    pieces = [1, SPLIT_FROM - 1, SPLIT_FROM, MIB, 7, MIB + 3, SPLIT_FROM + 1]
    hashes, start = BothHashes(), 0
    for size in [*pieces, len(data)]:
        hashes.update(view[start:start + size])
        start += size
    assert start >= len(data)
    assert hashes.hexdigests() == (hashlib.sha256(data).hexdigest(),
                                   hashlib.md5(data).hexdigest())
    assert two_cpus == [SPLIT_FROM, MIB, MIB + 3, SPLIT_FROM + 1,
                        len(data) - sum(pieces)]  # only the large pieces went to the helper


def test_a_reused_buffer_is_read_by_the_helper_before_update_returns(
        two_cpus: list[int]) -> None:
    buffer = bytearray(MIB)
    sent = bytearray()
    hashes = BothHashes()
    slow = hashes.md5 = SlowMd5()  # type: ignore[assignment]
    written: list[int] = []

    def write() -> None:  # slow enough for the helper to have taken its part
        time.sleep(0.05)
        written.append(len(buffer))

    for seed in range(3):
        buffer[:] = bytes([seed]) * MIB  # the next piece is received into the same buffer
        sent += buffer
        hashes.update(memoryview(buffer), alongside=write)
    assert hashes.hexdigests() == (hashlib.sha256(sent).hexdigest(),
                                   hashlib.md5(sent).hexdigest())
    assert written == [MIB] * 3 and slow.threads == {"md5-helper"} and len(two_cpus) == 3


def test_a_failing_write_waits_for_the_helper_before_raising(two_cpus: list[int]) -> None:
    hashes = BothHashes()
    slow = hashes.md5 = SlowMd5()  # type: ignore[assignment]
    data = bytearray(b"x" * MIB)

    def disk_full() -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        hashes.update(data, alongside=disk_full)
    assert slow.real.hexdigest() == hashlib.md5(data).hexdigest()  # done before the raise


def test_a_piece_the_helper_has_not_started_is_hashed_by_the_caller() -> None:
    helper = hashing._Helper()
    helper._go = threading.Lock()  # its thread waits on the other one: it never wakes up
    helper._go.acquire()
    md5 = SlowMd5()
    helper.start(md5, b"piece" * 1000)
    assert helper.finish() is None
    assert md5.threads == {threading.current_thread().name}
    assert md5.hexdigest() == hashlib.md5(b"piece" * 1000).hexdigest()


def test_a_failure_in_the_helper_is_an_error_in_the_caller_never_a_digest(
        two_cpus: list[int]) -> None:
    class Broken:
        def update(self, data: bytes | memoryview) -> None:
            raise MemoryError(f"in {threading.current_thread().name}")

    hashes = BothHashes()
    hashes.md5 = Broken()  # type: ignore[assignment]
    with pytest.raises(HashFailed) as failed:  # the write is slow: the helper started first
        hashes.update(bytes(MIB), alongside=lambda: time.sleep(0.05))
    assert str(failed.value.__cause__) == "in md5-helper"
    with pytest.raises(HashFailed):
        hashes.hexdigests()
    with pytest.raises(HashFailed):
        hashes.update(b"more")
    # The helper lives on for the next upload.
    again = BothHashes()
    again.update(bytes(MIB))
    assert again.hexdigests()[1] == hashlib.md5(bytes(MIB)).hexdigest()


def test_one_thread_when_one_cpu_or_the_helper_is_taken(
        monkeypatch: pytest.MonkeyPatch, two_cpus: list[int]) -> None:
    helper = hashing._free_helper(MIB)
    assert helper is not None
    try:
        assert hashing._free_helper(MIB) is None  # another upload is using it
        BothHashes().update(bytes(MIB))
    finally:
        helper.free.release()
    monkeypatch.setattr(hashing, "_cpu_count", lambda: 1)
    BothHashes().update(bytes(MIB))
    assert two_cpus == []


def test_a_forked_process_makes_its_own_helper(
        monkeypatch: pytest.MonkeyPatch, two_cpus: list[int]) -> None:
    BothHashes().update(bytes(MIB))
    first = hashing._helper
    monkeypatch.setattr(os, "getpid", lambda: -1)  # as in a child after fork
    BothHashes().update(bytes(MIB))
    assert hashing._helper is not first and hashing._helper is not None
    assert hashing._helper.pid == -1


def test_uploads_hashing_at_once_each_get_their_own_digests(two_cpus: list[int]) -> None:
    """Threads contend for the one helper (and take pieces back): no piece is lost or
    crossed, whichever thread hashed it."""
    datas = [os.urandom(12 * SPLIT_FROM + i) for i in range(4)]
    got: dict[int, tuple[str, str]] = {}

    def upload(i: int) -> None:
        hashes, view = BothHashes(), memoryview(datas[i])
        for start in range(0, len(view), SPLIT_FROM + 1):
            hashes.update(view[start:start + SPLIT_FROM + 1])
        got[i] = hashes.hexdigests()

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert got == {i: (hashlib.sha256(d).hexdigest(), hashlib.md5(d).hexdigest())
                   for i, d in enumerate(datas)}
    assert two_cpus  # some pieces went to the helper
