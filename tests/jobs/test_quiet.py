"""Background work waits while uploads arrive (jobs/quiet.py): every upload is in flight while
it is received and marks its end, and a job worker on the same machine claims a job only when
none is in flight and the last one ended a short settle ago."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import Persona, make_jpeg
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from imgbackup.jobs import quiet


def test_an_upload_marks_the_time_it_ends(client: Client, alice: Persona) -> None:
    before = time.time()
    sent = client.post("/api/v2/photos",
                       {"file": SimpleUploadedFile("a.jpg", make_jpeg(41), "image/jpeg")},
                       **alice.auth)
    assert sent.status_code == 201
    assert quiet.seconds_since_upload() <= time.time() - before + 0.05


def test_a_worker_waits_until_uploads_go_quiet(settings: Any) -> None:
    settings.JOB_QUIET_SECONDS = 1
    quiet.mark_upload()
    waited = quiet.wait_for_quiet(lambda: True)
    assert 0.7 <= waited < 3
    assert quiet.wait_for_quiet(lambda: True) < 0.1  # quiet now: no wait


def test_a_stopping_worker_does_not_wait(settings: Any) -> None:
    settings.JOB_QUIET_SECONDS = 60
    quiet.mark_upload()
    assert quiet.wait_for_quiet(lambda: False) < 0.1


def test_zero_turns_the_wait_off(settings: Any) -> None:
    settings.JOB_QUIET_SECONDS = 0
    quiet.mark_upload()
    assert quiet.wait_for_quiet(lambda: True) < 0.1


def test_the_job_starts_when_the_quiet_spell_ends_not_a_poll_later(settings: Any) -> None:
    # The last upload ended 0.2 s ago: 0.8 s of quiet are left. Polling every 0.25 s from
    # here would wait 1.0 s; the wait sleeps until the spell ends instead.
    settings.JOB_QUIET_SECONDS = 1
    quiet.mark_upload()
    ended = time.time() - 0.2
    os.utime(quiet._mark_file(), (ended, ended))
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
        settings: Any) -> None:
    settings.JOB_QUIET_SECONDS = 0.3
    upload = _ends_in(1.0)
    time.sleep(0.1)
    assert quiet.uploads_in_flight() == 1
    waited = quiet.wait_for_quiet(lambda: True)
    upload.join()
    # ~0.9 s of the upload left, then the settle: not a fixed period after its start.
    assert 1.1 <= waited < 1.6
    assert quiet.uploads_in_flight() == 0


def test_an_upload_through_the_api_is_in_flight_while_it_is_received(
        client: Client, alice: Persona, monkeypatch: pytest.MonkeyPatch) -> None:
    from imgbackup.api.v2 import upload

    seen: list[int] = []
    real = upload.upload

    def receive(*args: Any, **kwargs: Any) -> Any:
        seen.append(quiet.uploads_in_flight())
        return real(*args, **kwargs)

    monkeypatch.setattr(upload, "upload", receive)
    sent = client.post("/api/v2/photos",
                       {"file": SimpleUploadedFile("a.jpg", make_jpeg(43), "image/jpeg")},
                       **alice.auth)
    assert sent.status_code == 201
    assert seen == [1]
    assert quiet.uploads_in_flight() == 0


def test_each_tus_chunk_is_in_flight_while_it_is_received(
        client: Client, alice: Persona, monkeypatch: pytest.MonkeyPatch) -> None:
    from api_v2.test_tus import create, patch

    from imgbackup.photos import resumable

    seen: list[int] = []
    real = resumable.append

    def append(*args: Any, **kwargs: Any) -> Any:
        seen.append(quiet.uploads_in_flight())
        return real(*args, **kwargs)

    monkeypatch.setattr(resumable, "append", append)
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


def test_a_slow_upload_holds_the_jobs_back_for_a_minute_at_most(settings: Any) -> None:
    settings.JOB_QUIET_SECONDS = 0.2
    upload = _ends_in(0.6)
    time.sleep(0.1)
    folder = quiet._in_flight_folder()
    started = time.time() - quiet.HOLDS_AT_MOST - 1  # as if it began a minute ago
    for mark in folder.iterdir():
        os.utime(mark, (started, started))
    assert quiet.uploads_in_flight() == 0
    assert len(list(folder.iterdir())) == 1  # still its own until it ends
    upload.join()


@pytest.mark.django_db(transaction=True)
def test_a_waiting_worker_holds_no_job(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """While uploads are in flight the worker waits before claiming: every job stays READY
    (imgbackup jobs says "running: 0"), and they run once the upload has ended."""
    from django.db import connections
    from django_tasks_db.models import DBTaskResult

    from imgbackup.jobs import queue
    from imgbackup.jobs.worker import Worker
    from imgbackup.photos import background

    settings.JOB_QUIET_SECONDS = 0.2
    for n in range(3):
        queue.enqueue(background.make_derived, f"{n:064x}", "thumbnail")
    monkeypatch.setattr(background, "make_derived", lambda sha256, kind: "made")
    upload = _ends_in(1.0)
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
        upload.join()
        worker.running = False
        worker._stop_siblings()
        thread.join(timeout=10)
