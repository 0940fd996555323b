"""Background work waits while uploads arrive (jobs/quiet.py): every upload marks its start
and end, and a job worker on the same machine starts a job only after a quiet spell."""

from __future__ import annotations

import os
import time
from typing import Any

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
