"""A tus creation whose body is the whole file (photos/resumable_whole.py): spooled like a
multipart upload, its row written once, complete, in the photo's own transaction; refused
bytes leave nothing; a body that ends early is kept as an ordinary open upload (under the cap
of open uploads); the derived-image jobs wait for the upload."""

from __future__ import annotations

import ctypes
import hashlib
import os
import time
from datetime import timedelta
from typing import Any

import pytest
from conftest import Persona, make_jpeg, on_s3
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone
from .test_tus import create, head, meta, patch, stored

from imgbackup import body
from imgbackup.body import BUFFER
from imgbackup.jobs import quiet
from imgbackup.photos.models import Photo, ResumableUpload
from imgbackup.photos.resumable import Claims
from imgbackup.photos import resumable_whole
from imgbackup.photos.resumable_whole import create_whole
from imgbackup.storage import incoming_dir
from imgbackup.storage.partials import partial_store


def nothing_left() -> bool:
    soon = timezone.now() + timedelta(seconds=5)
    # The spool folder is the test's own only with local storage (conftest._blob_root).
    spooled = [] if on_s3() else list(incoming_dir().glob("upload-*"))
    return (not Photo.objects.exists() and not ResumableUpload.objects.exists()
            and partial_store().leftovers(soon) == {} and spooled == [])


def test_the_whole_file_in_the_creation_commits_once(client: Client, alice: Persona) -> None:
    body = make_jpeg(61, size=(200, 150))
    with CaptureQueriesContext(connection) as queries:
        made = create(client, alice, len(body), body, HTTP_UPLOAD_METADATA=meta(
            filename="IMG_61.jpg", sha256=hashlib.sha256(body).hexdigest()))
    assert made.status_code == 201, made.content
    sha256 = hashlib.sha256(body).hexdigest()
    assert made["Imgbackup-Photo-Id"] == sha256 and made["Upload-Offset"] == str(len(body))
    assert stored(sha256) == body
    assert Photo.objects.get(owner=alice.user).filename == "IMG_61.jpg"
    row = ResumableUpload.objects.get()
    assert (row.offset, row.photo_id, row.lease) == (len(body), sha256, "")
    # One transaction: the row, the photo and its jobs (seven commits before).
    writes = [q["sql"] for q in queries.captured_queries
              if q["sql"].split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]
    assert not [sql for sql in writes if "photos_resumableupload" in sql and
                not sql.upper().startswith("INSERT")], writes
    done = head(client, alice, made["Location"])
    assert done["Imgbackup-Photo-Id"] == sha256
    assert partial_store().leftovers(timezone.now() + timedelta(seconds=5)) == {}


def test_the_row_commits_with_the_photo_or_not_at_all(
        client: Client, alice: Persona, monkeypatch: pytest.MonkeyPatch) -> None:
    def fails(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the database went away")

    # The complete row's INSERT (resumable_whole._INSERT_ROW) fails inside the photo's commit.
    monkeypatch.setattr(resumable_whole._INSERT_ROW, "insert", fails)
    client.raise_request_exception = False
    body = make_jpeg(62)
    assert create(client, alice, len(body), body).status_code == 500
    assert nothing_left()  # the photo rolled back with the row, the bytes discarded


@pytest.mark.parametrize("claim", [{"sha256": "0" * 64}, {"md5": "0" * 32}])
def test_a_wrong_claimed_hash_keeps_nothing(client: Client, alice: Persona,
                                            claim: dict[str, str]) -> None:
    body = make_jpeg(63)
    answer = create(client, alice, len(body), body, HTTP_UPLOAD_METADATA=meta(**claim))
    assert answer.status_code == 460 and answer.json()["error"]["code"] == "checksum_mismatch"
    assert nothing_left()


def test_bytes_that_are_not_an_image_leave_nothing(client: Client, alice: Persona) -> None:
    answer = create(client, alice, 10, b"not a jpeg")
    assert answer.status_code == 415
    assert nothing_left()


def test_a_body_that_ends_early_is_an_open_upload_to_resume(client: Client,
                                                            alice: Persona) -> None:
    body = make_jpeg(64, size=(200, 150))
    # As tus._body ends when the client goes away: fewer bytes than the length.
    row = create_whole(alice.user, len(body), Claims(filename="IMG_64.jpg"),
                       [memoryview(body[:100]), memoryview(body[100:300])])
    assert (row.offset, row.photo_id) == (300, "")
    location = f"/api/v2/uploads/{row.id}"
    assert head(client, alice, location)["Upload-Offset"] == "300"
    last = patch(client, alice, location, 300, body[300:])
    assert last.status_code == 204, last.content
    assert stored(last["Imgbackup-Photo-Id"]) == body


@override_settings(MAX_OPEN_UPLOADS=1)
def test_the_cap_of_open_uploads_counts_a_whole_body_only_if_it_ends_early(
        client: Client, alice: Persona) -> None:
    from imgbackup.photos.ingest import Rejected

    assert create(client, alice, 10).status_code == 201  # the one open upload allowed
    body = make_jpeg(67)
    # Written complete, it is never open: the cap does not refuse it.
    assert create(client, alice, len(body), body).status_code == 201
    with pytest.raises(Rejected) as refused:
        create_whole(alice.user, len(body), Claims(), [memoryview(body[:100])])
    assert refused.value.status == 429 and refused.value.code == "too_many_uploads"
    assert ResumableUpload.objects.filter(photo_id="").count() == 1
    soon = timezone.now() + timedelta(seconds=5)
    assert len(partial_store().leftovers(soon)) == 1  # the first upload's; none of the refused


def test_a_body_past_the_length_is_refused(alice: Persona) -> None:
    from imgbackup.photos.ingest import Rejected

    with pytest.raises(Rejected) as refused:
        create_whole(alice.user, 10, Claims(), [memoryview(b"x" * 11)])
    assert refused.value.status == 413
    assert nothing_left()


def test_tus_uploads_make_the_jobs_wait(client: Client, alice: Persona) -> None:
    quiet.mark_upload()
    long_ago = time.time() - 3600
    os.utime(quiet._mark_file(), (long_ago, long_ago))
    body = make_jpeg(65)
    assert create(client, alice, len(body), body).status_code == 201
    assert quiet.seconds_since_upload() < 60
    os.utime(quiet._mark_file(), (long_ago, long_ago))
    location = create(client, alice, len(body) + 1)["Location"]
    assert quiet.seconds_since_upload() > 60  # no body, no upload
    patch(client, alice, location, 0, body[:10])
    assert quiet.seconds_since_upload() < 60


@pytest.mark.skipif(on_s3(), reason="local storage's folder syncs")
def test_the_partial_files_folder_is_synced_only_when_a_row_names_it(
        client: Client, alice: Persona, monkeypatch: pytest.MonkeyPatch) -> None:
    from imgbackup.storage import partials

    synced: list[str] = []
    original_sync = partials.fsync_dir

    def spy(path: Any) -> None:
        synced.append(str(path))
        original_sync(path)

    monkeypatch.setattr(partials, "fsync_dir", spy)
    body = make_jpeg(66, size=(200, 150))
    assert create(client, alice, len(body), body).status_code == 201
    assert synced == []  # the bytes went to originals/ (its folder synced by the store)
    row = create_whole(alice.user, len(body), Claims(), [memoryview(body[:100])])
    assert row.offset == 100 and len(synced) == 1  # the open upload's row names the file
    assert create(client, alice, 10).status_code == 201
    assert len(synced) == 2  # a general creation syncs it at once, as before


def test_the_body_is_received_half_a_page_into_a_page_in_whole_pages() -> None:
    # Received at the start of the buffer (16 bytes into a page), a photo's copy out of the
    # socket cost ~1 ms more of kernel CPU (imgbackup/body.py, receive_view, which tus reads into).
    for _ in range(2):  # the same answer each time from the thread's one buffer
        view = body.receive_view()
        assert ctypes.addressof(ctypes.c_char.from_buffer(view)) % body.PAGE == body.RECEIVE_AT
        assert len(view) % body.PAGE == 0
        assert len(view) == BUFFER - body.PAGE
