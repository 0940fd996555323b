"""Background work waits while uploads arrive (jobs/quiet.py): every upload is in flight while
it is received and marks its end, and a job worker on the same machine claims a job only when
none is in flight and the last one ended a short settle ago."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Persona, make_jpeg
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from imgbackup.jobs import quiet


@pytest.fixture
def upload_ended(settings: Any) -> Callable[..., None]:
    """``upload_ended(spell, ago=0)``: the quiet spell is ``spell`` seconds
    (IMGBACKUP_JOB_QUIET_SECONDS), and the last upload ended ``ago`` seconds back."""
    def ended(spell: float, ago: float = 0) -> None:
        settings.JOB_QUIET_SECONDS = spell
        quiet.mark_upload()
        if ago:
            at = time.time() - ago
            os.utime(quiet._mark_file(), (at, at))
    return ended


@pytest.fixture
def uploading(settings: Any) -> Iterator[Callable[[float, float], threading.Thread]]:
    """``uploading(spell, seconds)``: the quiet spell is ``spell`` seconds, and an upload in
    flight (in a thread) ends in ``seconds``; it is waited for after the test, pass or fail."""
    threads: list[threading.Thread] = []

    def start(spell: float, seconds: float) -> threading.Thread:
        settings.JOB_QUIET_SECONDS = spell
        threads.append(_ends_in(seconds))
        return threads[-1]

    yield start
    for thread in threads:
        thread.join()


@pytest.fixture
def in_flight_when_called(monkeypatch: pytest.MonkeyPatch) -> Callable[[Any, str], list[int]]:
    """``in_flight_when_called(module, name)``: from now on, each call of ``module.name``
    first notes how many uploads are in flight, in the list answered."""
    def watch(module: Any, name: str) -> list[int]:
        seen: list[int] = []
        real = getattr(module, name)

        def noted(*args: Any, **kwargs: Any) -> Any:
            seen.append(quiet.uploads_in_flight())
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, noted)
        return seen
    return watch


def test_an_upload_marks_the_time_it_ends(client: Client, alice: Persona) -> None:
    before = time.time()
    sent = client.post("/api/v2/photos",
                       {"file": SimpleUploadedFile("a.jpg", make_jpeg(41), "image/jpeg")},
                       **alice.auth)
    assert sent.status_code == 201
    assert quiet.seconds_since_upload() <= time.time() - before + 0.05


def test_a_worker_waits_until_uploads_go_quiet(upload_ended: Callable[..., None]) -> None:
    upload_ended(1)
    waited = quiet.wait_for_quiet(lambda: True)
    assert 0.7 <= waited < 3
    assert quiet.wait_for_quiet(lambda: True) < 0.1  # quiet now: no wait


def test_a_stopping_worker_does_not_wait(upload_ended: Callable[..., None]) -> None:
    upload_ended(60)
    assert quiet.wait_for_quiet(lambda: False) < 0.1


def test_zero_turns_the_wait_off(upload_ended: Callable[..., None]) -> None:
    upload_ended(0)
    assert quiet.wait_for_quiet(lambda: True) < 0.1


def test_the_job_starts_when_the_quiet_spell_ends_not_a_poll_later(
        upload_ended: Callable[..., None]) -> None:
    # The last upload ended 0.2 s ago: 0.8 s of quiet are left. Polling every 0.25 s from
    # here would wait 1.0 s; the wait sleeps until the spell ends instead.
    upload_ended(1, ago=0.2)
    waited = quiet.wait_for_quiet(lambda: True)
    assert 0.75 <= waited < 0.95


def _ends_in(seconds: float) -> threading.Thread:
    def upload() -> None:
        with quiet.upload_in_flight():
            time.sleep(seconds)

    thread = threading.Thread(target=upload)
    thread.start()
    return thread


def test_an_upload_in_flight_holds_the_jobs_back_until_it_ends_and_settles(
        uploading: Callable[[float, float], threading.Thread]) -> None:
    upload = uploading(0.3, 1.0)
    time.sleep(0.1)
    assert quiet.uploads_in_flight() == 1
    waited = quiet.wait_for_quiet(lambda: True)
    upload.join()
    # ~0.9 s of the upload left, then the settle: not a fixed period after its start.
    assert 1.1 <= waited < 1.6
    assert quiet.uploads_in_flight() == 0


def test_a_waiting_worker_looks_once_a_settle_not_every_50_ms(
        uploading: Callable[[float, float], threading.Thread],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Each look costs CPU while the uploads need it (~0.3 ms on a busy machine): with an upload
    in flight for 1.2 s and a 0.4 s settle, a few looks (was 24), and the start no later."""
    looks: list[float] = []
    real = quiet.uploads_in_flight

    def looked() -> int:
        looks.append(time.monotonic())
        return real()

    upload = uploading(0.4, 1.2)
    time.sleep(0.1)
    monkeypatch.setattr(quiet, "uploads_in_flight", looked)
    waited = quiet.wait_for_quiet(lambda: True)
    upload.join()
    assert len(looks) <= 5, len(looks)
    assert 1.45 <= waited < 1.9  # the upload's last 1.1 s, then the settle


def test_an_upload_through_the_api_is_in_flight_while_it_is_received(
        client: Client, alice: Persona,
        in_flight_when_called: Callable[[Any, str], list[int]]) -> None:
    from imgbackup.api.v2 import upload

    seen = in_flight_when_called(upload, "upload")
    sent = client.post("/api/v2/photos",
                       {"file": SimpleUploadedFile("a.jpg", make_jpeg(43), "image/jpeg")},
                       **alice.auth)
    assert sent.status_code == 201
    assert seen == [1]
    assert quiet.uploads_in_flight() == 0


def test_each_tus_chunk_is_in_flight_while_it_is_received(
        client: Client, alice: Persona,
        in_flight_when_called: Callable[[Any, str], list[int]]) -> None:
    from api_v2.test_tus import create, patch

    from imgbackup.photos import resumable

    seen = in_flight_when_called(resumable, "append")
    photo = make_jpeg(44)
    half = len(photo) // 2
    made = create(client, alice, len(photo), photo[:half])
    assert made.status_code == 201
    assert patch(client, alice, made["Location"], half, photo[half:]).status_code == 204
    assert seen == [1, 1]
    assert quiet.uploads_in_flight() == 0


def test_the_mark_of_a_process_that_died_holds_nothing_back(tmp_path: Path,
                                                           settings: Any) -> None:
    settings.JOB_QUIET_SECONDS = 0.2
    # A process that dies in the middle of an upload: its flock goes with it.
    subprocess.run([sys.executable, "-c", (
        "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT);"
        "fcntl.flock(fd, fcntl.LOCK_EX); os._exit(9)"),
        str(quiet._in_flight_folder() / "12345.1.0")], check=False)
    assert quiet.uploads_in_flight() == 0
    assert quiet.wait_for_quiet(lambda: True) < 0.5


def test_a_slow_upload_holds_the_jobs_back_for_a_minute_at_most(
        uploading: Callable[[float, float], threading.Thread]) -> None:
    uploading(0.2, 0.6)
    time.sleep(0.1)
    folder = quiet._in_flight_folder()
    started = time.time() - quiet.HOLDS_AT_MOST - 1  # as if it began a minute ago
    for mark in folder.iterdir():
        os.utime(mark, (started, started))
    assert quiet.uploads_in_flight() == 0
    assert len(list(folder.iterdir())) == 1  # still its own until it ends


@pytest.mark.django_db(transaction=True)
def test_a_waiting_worker_holds_no_job(monkeypatch: pytest.MonkeyPatch,
                                       uploading: Callable[[float, float], threading.Thread]
                                       ) -> None:
    """While uploads are in flight the worker waits before claiming: every job stays READY
    (imgbackup jobs says "running: 0"), and they run once the upload has ended."""
    from django.db import connections
    from django_tasks_db.models import DBTaskResult

    from imgbackup.jobs import queue
    from imgbackup.jobs.worker import Worker
    from imgbackup.photos import background

    for n in range(3):
        queue.enqueue(background.make_derived, f"{n:064x}", "thumbnail")
    monkeypatch.setattr(background, "make_derived", lambda sha256, kind: "made")
    upload = uploading(0.2, 1.0)
    worker = Worker(interval=0.05, batch=False, parent_pid=None, threads=2)
    def run() -> None:
        try:
            worker.run()
        finally:
            connections.close_all()  # this thread's

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        time.sleep(0.6)
        assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"READY"}
        upload.join()
        deadline = time.monotonic() + 10
        while DBTaskResult.objects.exclude(status="SUCCESSFUL").exists():
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        worker.running = False
        worker._stop_siblings()
        thread.join(timeout=10)


def test_a_threads_uploads_share_one_mark_file_made_once() -> None:
    """An upload costs a utime and two flocks, not a file made and removed per upload."""
    folder = quiet._in_flight_folder()
    inodes: list[int] = []
    for _ in range(3):
        with quiet.upload_in_flight():
            assert quiet.uploads_in_flight() == 1
            inodes += [entry.stat().st_ino for entry in os.scandir(folder)]
        assert quiet.uploads_in_flight() == 0
    assert len(set(inodes)) == 1 and len(inodes) == 3
    with quiet.upload_in_flight(), quiet.upload_in_flight():  # nested: held until the outer ends
        pass
    with quiet.upload_in_flight():
        with quiet.upload_in_flight():
            pass
        assert quiet.uploads_in_flight() == 1
    assert quiet.uploads_in_flight() == 0


def test_an_idle_mark_removed_as_a_leftover_is_made_again_for_the_next_upload() -> None:
    with quiet.upload_in_flight():
        pass
    folder = quiet._in_flight_folder()
    [idle] = list(folder.iterdir())
    old = time.time() - quiet.HOLDS_AT_MOST - 1
    os.utime(idle, (old, old))
    assert quiet.uploads_in_flight() == 0
    assert list(folder.iterdir()) == []  # removed: unlocked and old
    with quiet.upload_in_flight():
        assert quiet.uploads_in_flight() == 1  # a new file, young and locked
        [fresh] = list(folder.iterdir())
        assert fresh != idle
    # Removed between the check and the lock: the lock then finds it gone and makes another.
    real_flock = quiet.fcntl.flock
    removed: list[str] = []

    def flock_after_removal(fd: int, operation: int) -> None:
        if operation == quiet.fcntl.LOCK_EX and not removed:
            removed.extend(entry.name for entry in folder.iterdir())
            for name in removed:
                (folder / name).unlink()
        real_flock(fd, operation)

    quiet.fcntl.flock = flock_after_removal  # type: ignore[assignment]
    try:
        with quiet.upload_in_flight():
            quiet.fcntl.flock = real_flock
            assert removed == [fresh.name]
            assert quiet.uploads_in_flight() == 1
    finally:
        quiet.fcntl.flock = real_flock
    assert quiet.uploads_in_flight() == 0


def test_the_in_flight_folder_is_made_when_it_is_missing(settings: Any, tmp_path: Path) -> None:
    """Made by the first upload (opening its file fails first), and again after it is gone
    (the thread's kept file, found removed, is made anew)."""
    settings.DATA_DIR = tmp_path
    for _ in range(2):
        assert not (tmp_path / "run").exists()
        with quiet.upload_in_flight():
            assert quiet.uploads_in_flight() == 1
        assert quiet.uploads_in_flight() == 0
        assert len(list((tmp_path / "run" / "in-flight").iterdir())) == 1  # kept, unlocked
        shutil.rmtree(tmp_path / "run")
