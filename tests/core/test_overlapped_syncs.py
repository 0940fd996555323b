"""An upload's folder syncs run beside its transaction (storage/syncs.py) and are waited for
before its rows commit: the bytes and their folders are on disk before any row names them."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import _persona, make_jpeg, on_s3
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client

from imgbackup.photos.models import Photo
from imgbackup.storage import local, syncs


def test_a_sync_runs_at_once_outside_a_block_and_beside_it_inside() -> None:
    ran: list[str] = []
    syncs.run(lambda: ran.append(threading.current_thread().name))
    assert ran == [threading.current_thread().name]
    ran.clear()
    gate = threading.Event()

    def slow() -> None:
        gate.wait(5)
        ran.append(threading.current_thread().name)

    with syncs.overlapped() as pending:
        syncs.run(slow)
        assert ran == []  # not waited for yet
        gate.set()
        pending.wait()
        assert ran and ran[0] != threading.current_thread().name


def test_a_failed_sync_is_raised_by_wait_and_by_the_block() -> None:
    def broken() -> None:
        raise OSError(5, "Input/output error")

    with pytest.raises(OSError), syncs.overlapped():
        syncs.run(broken)
    with syncs.overlapped() as pending:
        syncs.run(broken)
        with pytest.raises(OSError):
            pending.wait()
        pending.wait()  # reported once


def test_the_block_s_own_error_wins_and_its_syncs_still_finish() -> None:
    done: list[bool] = []

    def slow() -> None:
        time.sleep(0.05)
        done.append(True)

    with pytest.raises(KeyError), syncs.overlapped():
        syncs.run(slow)
        raise KeyError("the ingest failed")
    assert done == [True]


@pytest.mark.skipif(on_s3(), reason="folder syncs are local storage's")
def test_an_upload_s_rows_commit_only_after_its_folders_are_synced(
        transactional_db: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    alice = _persona("alice")
    synced: list[Path] = []
    at_commit: list[int] = []
    real_sync, real_commit = local.fsync_dir, BaseDatabaseWrapper.commit

    def slow_sync(path: Path) -> None:
        time.sleep(0.1)  # the disk is slow: the transaction's work goes on meanwhile
        real_sync(path)
        synced.append(Path(path))

    def commit(self: BaseDatabaseWrapper) -> Any:
        at_commit.append(len(synced))
        return real_commit(self)

    monkeypatch.setattr(local, "fsync_dir", slow_sync)
    monkeypatch.setattr(BaseDatabaseWrapper, "commit", commit)
    answer = Client().post("/api/v2/photos", {
        "file": SimpleUploadedFile("a.jpg", make_jpeg(7), "image/jpeg")}, **alice.auth)
    assert answer.status_code == 201, answer.content
    photo = Photo.objects.get(owner=alice.user)
    # At least the object's own folder, and each folder made for it, synced before the
    # transaction that wrote the photo's rows committed (the last commit of the request).
    assert synced and synced[0].name == photo.original_id[2:4]
    assert at_commit and at_commit[-1] == len(synced)
