"""Concurrent uploads per user and per process (api/upload_slots.py): beyond the limit an
upload is refused at once, before its body is read, with Retry-After; other users go on."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from conftest import Persona, make_jpeg
from django.test import Client

from api_v2.conftest import jpeg_file
from imgbackup.api import upload_slots
from imgbackup.api.upload_slots import upload_slot
from imgbackup.photos.models import Photo, ResumableUpload

V1 = "/api/v1.0/service/image/"


@pytest.fixture
def slots(settings: Any) -> Iterator[ExitStack]:
    settings.MAX_CONCURRENT_UPLOADS = 2
    settings.THREADS = 8
    upload_slots._process_slots = None  # sized from THREADS on first use
    with ExitStack() as held:
        yield held
    upload_slots._process_slots = None


def test_beyond_the_limit_the_owner_gets_429_and_another_user_uploads(
        client: Client, alice: Persona, bob: Persona, slots: ExitStack) -> None:
    for _ in range(2):
        slots.enter_context(upload_slot(alice.user))
    refused = client.post("/api/v2/photos", {"f": jpeg_file(1)}, **alice.auth)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_uploads"
    assert refused["Retry-After"] == "5"
    old = client.post(V1, {"f": jpeg_file(1)}, **alice.auth)
    assert old.status_code == 429 and old.json()["result_code"] == -100  # the envelope kept
    assert client.post("/api/v2/photos", {"f": jpeg_file(2)}, **bob.auth).status_code == 201
    slots.close()  # alice's uploads finish: her slots are free again
    assert client.post("/api/v2/photos", {"f": jpeg_file(1)}, **alice.auth).status_code == 201


def test_anonymous_is_401_whatever_the_slots(client: Client, alice: Persona,
                                             slots: ExitStack) -> None:
    for _ in range(2):
        slots.enter_context(upload_slot(alice.user))
    assert client.post("/api/v2/photos", {"f": jpeg_file(1)}).status_code == 401


def test_uploads_leave_a_quarter_of_the_threads_free(
        client: Client, alice: Persona, bob: Persona, slots: ExitStack, settings: Any,
        django_user_model: Any) -> None:
    settings.MAX_CONCURRENT_UPLOADS = 0  # no per-user limit: only the process's
    for _ in range(6):  # 8 threads: 6 may upload
        slots.enter_context(upload_slot(alice.user))
    busy = client.post("/api/v2/photos", {"f": jpeg_file(2)}, **bob.auth)
    assert busy.status_code == 503 and busy.json()["error"]["code"] == "server_busy"
    assert client.get("/api/v2/me", **bob.auth).status_code == 200  # other requests go on


TUS = {"HTTP_TUS_RESUMABLE": "1.0.0"}
CHUNK = "application/offset+octet-stream"


def test_a_tus_patch_takes_an_upload_slot(client: Client, alice: Persona,
                                          slots: ExitStack) -> None:
    body = make_jpeg(7)
    created = client.post("/api/v2/uploads/", HTTP_UPLOAD_LENGTH=str(len(body)), **alice.auth,
                          **TUS)
    assert created.status_code == 201  # no bytes: no slot needed
    url = created["Location"]
    held = ExitStack()
    for _ in range(2):
        held.enter_context(upload_slot(alice.user))
    refused = client.generic("PATCH", url, body, content_type=CHUNK, HTTP_UPLOAD_OFFSET="0",
                             **alice.auth, **TUS)
    assert refused.status_code == 429, refused.content
    assert refused.json()["error"]["code"] == "too_many_uploads"
    assert refused["Retry-After"] == "5" and refused["Tus-Resumable"] == "1.0.0"
    assert ResumableUpload.objects.get().offset == 0
    held.close()
    sent = client.generic("PATCH", url, body, content_type=CHUNK, HTTP_UPLOAD_OFFSET="0",
                          **alice.auth, **TUS)
    assert sent.status_code == 204 and sent["Imgbackup-Photo-Id"]


@pytest.mark.parametrize("sent", ["whole", "first chunk"])
def test_a_tus_creation_with_a_body_takes_an_upload_slot(
        client: Client, alice: Persona, slots: ExitStack, sent: str) -> None:
    body = make_jpeg(8)
    chunk = body if sent == "whole" else body[:100]
    for _ in range(2):
        slots.enter_context(upload_slot(alice.user))
    refused = client.post("/api/v2/uploads/", chunk, content_type=CHUNK,
                          HTTP_UPLOAD_LENGTH=str(len(body)), **alice.auth, **TUS)
    assert refused.status_code == 429, refused.content
    assert not ResumableUpload.objects.exists() and not Photo.objects.exists()
    slots.close()
    created = client.post("/api/v2/uploads/", chunk, content_type=CHUNK,
                          HTTP_UPLOAD_LENGTH=str(len(body)), **alice.auth, **TUS)
    assert created.status_code == 201 and created["Upload-Offset"] == str(len(chunk))


def test_the_slots_folder_deleted_while_the_server_runs_is_made_again(
        client: Client, alice: Persona, slots: ExitStack) -> None:
    """The folder is made when a slot's file cannot be opened, not checked on every upload."""
    with upload_slot(alice.user):
        pass
    folder = upload_slots._slot_folder()
    shutil.rmtree(folder)
    for _ in range(2):
        slots.enter_context(upload_slot(alice.user))  # made again; both slots work
    assert sorted(p.name for p in folder.iterdir()) == [f"{alice.user.pk}.0",
                                                        f"{alice.user.pk}.1"]
    refused = client.post("/api/v2/photos", {"f": jpeg_file(1)}, **alice.auth)
    assert refused.status_code == 429  # the limit holds in the new folder too
