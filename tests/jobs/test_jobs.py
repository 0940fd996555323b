"""Background jobs: queued with the upload, run by a worker, retried with backoff, reported,
and never lost when a worker dies."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from conftest import Persona, make_jpeg
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from imgbackup.jobs import queue
from imgbackup.jobs.worker import HOST, claim_next, requeue_abandoned
from imgbackup.photos import background
from imgbackup.photos.derived import derived_name, ensure_derived
from imgbackup.storage import blobs

JOB = "imgbackup.photos.background.make_derived"


def _upload(client: Client, alice: Persona, seed: int = 1) -> str:
    sent = client.post("/api/v2/photos",
                       {"file": SimpleUploadedFile("a.jpg", make_jpeg(seed), "image/jpeg")},
                       **alice.auth)
    assert sent.status_code == 201, sent.content
    return str(sent.json()["items"][0]["id"])


def _jobs(status: str | None = None) -> list[tuple[str, list[Any], int]]:
    rows = DBTaskResult.objects.all()
    if status:
        rows = rows.filter(status=status)
    return sorted((r.args_kwargs["args"][0], r.args_kwargs["args"][1], r.args_kwargs["args"][2])
                  for r in rows)


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker drops connections that left autocommit, as the test's transaction has."""
    from imgbackup.jobs import worker

    monkeypatch.setattr(worker, "close_old_connections", lambda: None)


def _work() -> None:
    call_command("worker", batch=True)


def test_an_upload_queues_its_thumbnail_and_preview_and_a_worker_makes_them(
        client: Client, alice: Persona) -> None:
    sha = _upload(client, alice)
    assert _jobs("READY") == [(JOB, [sha, "preview"], 1), (JOB, [sha, "thumbnail"], 1)]
    storage = blobs()
    assert not storage.exists(derived_name(sha, "thumbnail"))
    _work()
    assert storage.exists(derived_name(sha, "thumbnail"))
    assert storage.exists(derived_name(sha, "preview"))
    assert len(_jobs("SUCCESSFUL")) == 2


def test_sending_the_same_bytes_again_queues_nothing_more(client: Client, alice: Persona) -> None:
    _upload(client, alice)
    again = client.post("/api/v2/photos",
                        {"file": SimpleUploadedFile("b.jpg", make_jpeg(1), "image/jpeg")},
                        **alice.auth)
    assert again.status_code == 200
    assert len(_jobs()) == 2


def test_derived_images_are_made_on_request_before_the_job_ran(client: Client,
                                                               alice: Persona) -> None:
    sha = _upload(client, alice)
    answer = client.get(f"/api/v2/photos/{sha}/thumbnail", **alice.auth)
    assert answer.status_code == 200
    _work()  # the job then finds the image made and keeps it
    assert len(_jobs("SUCCESSFUL")) == 2


def test_a_failing_job_is_retried_with_backoff_then_reported(
        client: Client, alice: Persona, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.JOB_ATTEMPTS = 3
    settings.JOB_RETRY_SECONDS = 0  # every retry due at once, so one batch runs them all
    calls: list[str] = []

    def storage_away(original: Any, kind: str) -> str:
        calls.append(kind)
        raise OSError("the storage is away")

    monkeypatch.setattr(background, "ensure_derived", storage_away)
    sha = _upload(client, alice)
    _work()
    assert calls.count("thumbnail") == 3
    failed = _jobs("FAILED")
    assert [(a, n) for _, a, n in failed if a[1] == "thumbnail"] == [
        ([sha, "thumbnail"], 1), ([sha, "thumbnail"], 2), ([sha, "thumbnail"], 3)]
    out = StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("jobs", stdout=out)
    assert exited.value.code == 1
    report = out.getvalue()
    assert "failed: 6" in report
    assert report.count("after 3 attempt(s)") == 2  # thumbnail and preview gave up, once each
    assert "OSError: the storage is away" in report
    # Fixed: --retry queues them again and the report is clean.
    monkeypatch.setattr(background, "ensure_derived", ensure_derived)
    call_command("jobs", retry=True, stdout=StringIO())
    _work()
    call_command("jobs", stdout=StringIO())  # exit 0: nothing gave up
    assert blobs().exists(derived_name(sha, "preview"))


def test_the_wait_grows_four_times_per_attempt(client: Client, alice: Persona,
                                               settings: Any,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    settings.JOB_RETRY_SECONDS = 30
    assert [queue.backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 120, 480]
    monkeypatch.setattr(background, "ensure_derived", _raise)
    _upload(client, alice)
    _work()  # the first attempts fail; the second ones wait 30 s
    waiting = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    assert waiting.count() == 2
    for row in waiting:
        assert row.args_kwargs["args"][2] == 2
        delay = (row.run_after - timezone.now()).total_seconds()
        assert 20 < delay <= 30


def _raise(*args: Any) -> None:
    raise OSError("away")


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(done.stdout)


def _claimed(sha: str, by: str, minutes_ago: float = 0) -> DBTaskResult[Any, Any]:
    row = DBTaskResult.objects.get(args_kwargs__args__1=[sha, "thumbnail"])
    row.claim(by)
    DBTaskResult.objects.filter(id=row.id).update(
        started_at=timezone.now() - timedelta(minutes=minutes_ago))
    return row


def test_the_job_of_a_dead_worker_on_this_machine_runs_again(client: Client,
                                                             alice: Persona) -> None:
    sha = _upload(client, alice)
    row = _claimed(sha, f"{HOST[:40]}:{_dead_pid()}:abcdefgh")
    _work()  # a new worker first puts the dead worker's job back
    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert blobs().exists(derived_name(sha, "thumbnail"))


def test_a_job_of_a_live_or_remote_worker_waits_for_its_lease(client: Client, alice: Persona,
                                                               settings: Any) -> None:
    settings.JOB_LEASE_MINUTES = 10
    sha = _upload(client, alice)
    row = _claimed(sha, "another-host:1:abcdefgh", minutes_ago=5)
    assert requeue_abandoned() == 0
    DBTaskResult.objects.filter(id=row.id).update(
        started_at=timezone.now() - timedelta(minutes=11))
    assert requeue_abandoned() == 1
    row.refresh_from_db()
    assert row.status == TaskResultStatus.READY


def test_a_job_that_keeps_killing_its_worker_is_failed(client: Client, alice: Persona,
                                                       settings: Any) -> None:
    settings.JOB_ATTEMPTS = 2
    sha = _upload(client, alice)
    row = _claimed(sha, "x:1:a")
    _claimed(sha, f"{HOST[:40]}:{_dead_pid()}:b")  # claimed twice: two workers died
    assert requeue_abandoned() == 1
    row.refresh_from_db()
    assert row.status == TaskResultStatus.FAILED
    assert "died 2 times" in row.traceback


def test_only_functions_of_imgbackup_can_be_jobs() -> None:
    with pytest.raises(ValueError, match="only functions of imgbackup"):
        queue.enqueue(print)


@pytest.mark.django_db(transaction=True)
def test_one_worker_runs_its_threads_jobs_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """IMGBACKUP_JOB_THREADS: two jobs of 0.6 s take one worker process ~0.6 s, not 1.2."""
    import threading
    import time

    from imgbackup.jobs.worker import Worker

    ran: list[str] = []

    def slow(sha256: str, kind: str) -> str:
        time.sleep(0.6)
        ran.append(threading.current_thread().name)
        return "made"

    queue.enqueue(background.make_derived, "a" * 64, "thumbnail")
    queue.enqueue(background.make_derived, "b" * 64, "thumbnail")
    monkeypatch.setattr(background, "make_derived", slow)
    started = time.monotonic()
    Worker(interval=0.05, batch=True, parent_pid=None, threads=2).run()
    assert time.monotonic() - started < 1.1
    assert len(set(ran)) == 2
    assert len(_jobs("SUCCESSFUL")) == 2


def test_the_thumbnails_of_every_photo_are_claimed_before_any_preview(
        client: Client, alice: Persona) -> None:
    """A timeline waits on thumbnails first: after a batch of uploads, the queue hands out all
    their thumbnails, oldest upload first, and then the previews."""
    shas = [_upload(client, alice, seed) for seed in (1, 2, 3)]
    claimed = []
    while (row := claim_next("test:1:order")) is not None:
        claimed.append(row.args_kwargs["args"][1])
    assert claimed == [[sha, "thumbnail"] for sha in shas] + [[sha, "preview"] for sha in shas]


def test_a_retried_thumbnail_keeps_its_place_before_the_previews(
        client: Client, alice: Persona, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.JOB_ATTEMPTS = 2
    settings.JOB_RETRY_SECONDS = 0
    monkeypatch.setattr(background, "ensure_derived", _raise)
    sha = _upload(client, alice)
    _work()  # both attempts of both jobs fail
    priorities = {(r.args_kwargs["args"][1][1], r.args_kwargs["args"][2]): r.priority
                  for r in DBTaskResult.objects.failed()}
    assert priorities == {("thumbnail", 1): 10, ("thumbnail", 2): 10,
                          ("preview", 1): 0, ("preview", 2): 0}
    call_command("jobs", retry=True, stdout=StringIO())  # queued again, in the same order
    again = claim_next("test:1:retry")
    assert again is not None and again.args_kwargs["args"][1] == [sha, "thumbnail"]
    assert again.priority == 10


def test_the_worker_limits_its_arenas_and_trims_once_its_jobs_are_done(
        client: Client, alice: Persona, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the renders freed goes back to the kernel (imgbackup/allocator.py) once no job
    is due: not between two jobs, where the next render would fault it in again."""
    from imgbackup import allocator

    calls: list[str] = []
    monkeypatch.setattr(allocator, "trim", lambda: calls.append("trim") or True)
    monkeypatch.setattr(allocator, "limit_arenas", lambda: calls.append("limit") or True)
    _work()
    assert calls == ["limit"]  # nothing rendered: nothing to give back
    calls.clear()
    _upload(client, alice)
    _work()
    assert calls == ["limit", "trim"]  # the thumbnail, the preview, then the queue is empty
