"""Early write-out of spool files (storage/writeback.py): each MiB's write-out is started as it
is written, the fsync still comes before the upload is handed on, and where the call is
missing or refused nothing changes but the timing."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import pytest

from imgbackup.photos import uploads
from imgbackup.photos.uploads import HashedUpload, SpoolWriter
from imgbackup.storage import writeback
from imgbackup.storage.writeback import STEP, Writeback

pytestmark = pytest.mark.backend_independent
MIB = 1024 * 1024


class Recorder:
    def __init__(self, answer: int = 0) -> None:
        self.calls: list[tuple[int, int, int]] = []
        self.answer = answer

    def __call__(self, fd: int, offset: int, length: int, flags: int) -> int:
        self.calls.append((offset, length, flags))
        return self.answer


def _spool(data: bytes, piece: int) -> HashedUpload:
    upload = HashedUpload("a.jpg", "image/jpeg", None, "file")
    writer = SpoolWriter(upload)
    view = memoryview(data)
    for start in range(0, len(data), piece):
        writer.write(view[start:start + piece])
    return writer.finish(len(data))


def test_each_mib_is_started_as_it_is_written_and_the_file_still_fsynced(
        monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder()
    monkeypatch.setattr(writeback, "_sync_file_range", recorder)
    events: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        events.append(f"fsync after {len(recorder.calls)} write-outs")
        real_fsync(fd)

    monkeypatch.setattr(uploads.os, "fsync", fsync)
    data = os.urandom(3 * MIB + 4321)
    upload = _spool(data, MIB // 2)
    # Started per MiB written, never past what was written; the rest is left to the fsync.
    assert recorder.calls == [(0, MIB, writeback.SYNC_FILE_RANGE_WRITE),
                              (MIB, MIB, writeback.SYNC_FILE_RANGE_WRITE),
                              (2 * MIB, MIB, writeback.SYNC_FILE_RANGE_WRITE)]
    assert events == ["fsync after 3 write-outs"]  # durable before it is handed on
    assert (upload.sha256, upload.md5) == (hashlib.sha256(data).hexdigest(),
                                           hashlib.md5(data).hexdigest())
    assert Path(upload.temporary_file_path()).read_bytes() == data
    upload.close()


@pytest.mark.parametrize("missing", [True, False])
def test_without_the_call_or_when_it_is_refused_the_upload_is_the_same(
        monkeypatch: pytest.MonkeyPatch, missing: bool) -> None:
    refusing = Recorder(answer=-1)
    monkeypatch.setattr(writeback, "_sync_file_range", None if missing else refusing)
    data = os.urandom(2 * MIB + 7)
    upload = _spool(data, MIB)
    assert len(refusing.calls) == (0 if missing else 1)  # refused once: not asked again
    assert upload.sha256 == hashlib.sha256(data).hexdigest()
    assert Path(upload.temporary_file_path()).read_bytes() == data
    upload.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sync_file_range is Linux's")
def test_the_real_call_is_accepted_on_a_regular_file(tmp_path: Path) -> None:
    assert writeback.available()
    with (tmp_path / "f").open("wb") as f:
        follower = Writeback(f.fileno())
        for _ in range(3):
            f.write(b"x" * STEP)
            f.flush()
            follower.wrote(STEP)
        assert follower.enabled and follower.started == 3 * STEP


def test_a_tus_append_starts_its_write_out_from_the_offset(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from imgbackup.storage.partials import LocalPartials

    recorder = Recorder()
    monkeypatch.setattr(writeback, "_sync_file_range", recorder)
    store = LocalPartials(tmp_path)
    store.begin("u1")
    first, second = os.urandom(MIB + 3), os.urandom(2 * MIB)
    store.append("u1", {}, 0, [first])
    store.append("u1", {}, len(first), [memoryview(second)[:MIB], memoryview(second)[MIB:]])
    assert [(o, n) for o, n, _ in recorder.calls] == [(0, MIB + 3), (MIB + 3, MIB),
                                                      (2 * MIB + 3, MIB)]
    assert store.path("u1").read_bytes() == first + second
