"""tus 1.0.0 at /api/v2/uploads/: the protocol, the extensions, and what a hostile client may
try. Real clients (tuspy, interrupted and resumed) are in test_tus_clients.py."""

from __future__ import annotations

import base64
import hashlib
import io
from datetime import timedelta
from typing import Any

import pytest
from conftest import Persona, make_jpeg, on_postgres, on_s3
from django.core.management import call_command
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from imgbackup.photos.models import Photo, ResumableUpload
from imgbackup.photos.resumable import remove_expired
from imgbackup.storage import blobs
from imgbackup.storage.partials import partial_store

URL = "/api/v2/uploads/"
TUS = {"HTTP_TUS_RESUMABLE": "1.0.0"}
CHUNK = "application/offset+octet-stream"
# Refused from the headers alone, before any row or byte: the SQLite run is enough for these.
headers_only = pytest.mark.skipif(on_s3() or on_postgres(),
                                  reason="answered from the headers: the backend does not matter")


def meta(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def create(client: Client, who: Persona, length: int | None, body: bytes = b"",
           **headers: Any) -> Any:
    extra = {"HTTP_UPLOAD_LENGTH": str(length)} if length is not None else {
        "HTTP_UPLOAD_DEFER_LENGTH": "1"}
    if body:
        return client.post(URL, body, content_type=CHUNK, **who.auth, **TUS, **extra, **headers)
    return client.post(URL, **who.auth, **TUS, **extra, **headers)


def patch(client: Client, who: Persona, location: str, offset: int, body: bytes,
          **headers: Any) -> Any:
    return client.patch(location, body, content_type=CHUNK, HTTP_UPLOAD_OFFSET=str(offset),
                        **who.auth, **TUS, **headers)


def head(client: Client, who: Persona, location: str) -> Any:
    return client.head(location, **who.auth, **TUS)


def stored(sha256: str) -> bytes:
    with blobs().open(f"originals/{sha256[:2]}/{sha256[2:4]}/{sha256}") as f:
        data: bytes = f.read()
    return data


@headers_only
def test_discovery_names_version_extensions_and_checksums(client: Client, alice: Persona) -> None:
    answer = client.options(URL, **alice.auth)
    assert answer.status_code == 204
    assert answer["Tus-Version"] == "1.0.0" and answer["Tus-Resumable"] == "1.0.0"
    assert set(answer["Tus-Extension"].split(",")) == {
        "creation", "creation-with-upload", "creation-defer-length", "termination",
        "checksum", "expiration"}
    assert answer["Tus-Checksum-Algorithm"] == "sha1,sha256,md5"
    assert int(answer["Tus-Max-Size"]) > 0


def test_an_upload_in_chunks_becomes_a_photo(client: Client, alice: Persona) -> None:
    body = make_jpeg(1, size=(300, 200))
    made = create(client, alice, len(body), HTTP_UPLOAD_METADATA=meta(
        filename="IMG_1.jpg", modified_at="2021-05-04T03:02:01+00:00"))
    assert made.status_code == 201, made.content
    location = made["Location"]
    assert location.startswith(URL) and made["Upload-Expires"]
    assert head(client, alice, location)["Upload-Offset"] == "0"
    half = len(body) // 2
    first = patch(client, alice, location, 0, body[:half])
    assert first.status_code == 204 and first["Upload-Offset"] == str(half)
    assert "Imgbackup-Photo-Id" not in first
    last = patch(client, alice, location, half, body[half:])
    assert last.status_code == 204, last.content
    sha256 = hashlib.sha256(body).hexdigest()
    assert last["Imgbackup-Photo-Id"] == sha256 and last["Upload-Offset"] == str(len(body))
    photo = Photo.objects.get(owner=alice.user)
    assert (photo.original_id, photo.filename) == (sha256, "IMG_1.jpg")
    assert photo.taken_at.year == 2021 and stored(sha256) == body
    done = head(client, alice, location)
    assert done["Upload-Offset"] == str(len(body)) and done["Imgbackup-Photo-Id"] == sha256
    # Nothing of the partial upload is left beside the storage (or in the bucket).
    assert partial_store().leftovers(timezone.now() + timedelta(seconds=5)) == {}


def test_creation_with_upload_and_deferred_length(client: Client, alice: Persona) -> None:
    body = make_jpeg(2)
    made = create(client, alice, None, body[:100])
    assert made.status_code == 201 and made["Upload-Offset"] == "100"
    assert made["Upload-Defer-Length"] == "1"
    last = patch(client, alice, made["Location"], 100, body[100:],
                 HTTP_UPLOAD_LENGTH=str(len(body)))
    assert last.status_code == 204, last.content
    assert last["Imgbackup-Photo-Id"] == hashlib.sha256(body).hexdigest()


def test_whole_upload_in_the_creation(client: Client, alice: Persona) -> None:
    body = make_jpeg(3)
    made = create(client, alice, len(body), body)
    assert made.status_code == 201
    assert made["Imgbackup-Photo-Id"] == hashlib.sha256(body).hexdigest()


@pytest.mark.parametrize("filename", [None, "", ".", ".."])
def test_a_whole_creation_without_a_usable_name_keeps_a_photo_without_one(
        client: Client, alice: Persona, filename: str | None) -> None:
    body = make_jpeg(5)
    headers = {} if filename is None else {
        "HTTP_UPLOAD_METADATA": "filename " + base64.b64encode(filename.encode()).decode()}
    made = create(client, alice, len(body), body, **headers)
    assert made.status_code == 201, made.content
    photo = Photo.objects.get(original_id=made["Imgbackup-Photo-Id"])
    assert photo.filename == ""  # not the spool's name, nor a stand-in


def test_a_creation_naming_bytes_already_kept_is_complete_at_once(
        client: Client, alice: Persona, bob: Persona) -> None:
    body = make_jpeg(4)
    sha256 = create(client, alice, len(body), body)["Imgbackup-Photo-Id"]
    Photo.objects.filter(owner=alice.user).update(trashed_at=timezone.now())
    again = create(client, alice, len(body), HTTP_UPLOAD_METADATA=meta(sha256=sha256))
    assert again.status_code == 201
    assert again["Imgbackup-Photo-Id"] == sha256 and again["Upload-Offset"] == str(len(body))
    # A client that PATCHes from 0 without asking is told it is done; nothing is appended.
    late = patch(client, alice, again["Location"], 0, body)
    assert late.status_code == 204 and late["Imgbackup-Photo-Id"] == sha256
    assert late["Upload-Offset"] == str(len(body))
    assert Photo.objects.get(owner=alice.user).trashed_at is None  # sent again: restored
    by_md5 = create(client, alice, len(body),
                    HTTP_UPLOAD_METADATA=meta(md5=hashlib.md5(body).hexdigest()))
    assert by_md5["Imgbackup-Photo-Id"] == sha256
    # Bob does not have these bytes: naming their hash gives him nothing.
    his = create(client, bob, len(body), HTTP_UPLOAD_METADATA=meta(sha256=sha256))
    assert his.status_code == 201 and "Imgbackup-Photo-Id" not in his
    assert his["Upload-Offset"] == "0"


def test_whole_file_hash_mismatch_keeps_nothing(client: Client, alice: Persona) -> None:
    body = make_jpeg(5)
    made = create(client, alice, len(body), HTTP_UPLOAD_METADATA=meta(sha256="0" * 64))
    answer = patch(client, alice, made["Location"], 0, body)
    assert answer.status_code == 460, answer.content
    assert answer.json()["error"]["code"] == "checksum_mismatch"
    assert not Photo.objects.exists() and not ResumableUpload.objects.exists()
    assert head(client, alice, made["Location"]).status_code == 404


def test_bytes_that_are_not_an_image_are_refused_and_removed(client: Client,
                                                            alice: Persona) -> None:
    made = create(client, alice, 10)
    answer = patch(client, alice, made["Location"], 0, b"not a jpeg")
    assert answer.status_code == 415
    assert not Photo.objects.exists() and not ResumableUpload.objects.exists()


def test_chunk_checksums(client: Client, alice: Persona) -> None:
    body = make_jpeg(6)
    location = create(client, alice, len(body))["Location"]
    for algorithm in ("sha1", "md5"):
        wrong = base64.b64encode(hashlib.new(algorithm, b"other").digest()).decode()
        bad = patch(client, alice, location, 0, body[:50],
                    HTTP_UPLOAD_CHECKSUM=f"{algorithm} {wrong}")
        assert bad.status_code == 460, bad.content
        assert head(client, alice, location)["Upload-Offset"] == "0"  # discarded
    good = base64.b64encode(hashlib.sha256(body[:50]).digest()).decode()
    ok = patch(client, alice, location, 0, body[:50], HTTP_UPLOAD_CHECKSUM=f"sha256 {good}")
    assert ok.status_code == 204 and ok["Upload-Offset"] == "50"
    unknown = patch(client, alice, location, 50, b"x", HTTP_UPLOAD_CHECKSUM="crc32 AAAA")
    assert unknown.status_code == 400
    last = patch(client, alice, location, 50, body[50:])
    assert last["Imgbackup-Photo-Id"] == hashlib.sha256(body).hexdigest()
    assert stored(last["Imgbackup-Photo-Id"]) == body


def test_offsets_that_skip_ahead_or_go_back_are_409(client: Client, alice: Persona) -> None:
    body = make_jpeg(7)
    location = create(client, alice, len(body))["Location"]
    assert patch(client, alice, location, 0, body[:100]).status_code == 204
    for offset in (0, 50, 101, 5000):
        answer = patch(client, alice, location, offset, b"x" * 10)
        assert answer.status_code == 409, offset
    assert head(client, alice, location)["Upload-Offset"] == "100"
    assert patch(client, alice, location, 100, body[100:]).status_code == 204


def test_a_chunk_past_the_length_is_413(client: Client, alice: Persona) -> None:
    location = create(client, alice, 10)["Location"]
    assert patch(client, alice, location, 0, b"x" * 11).status_code == 413
    assert patch(client, alice, location, 0, b"x" * 5).status_code == 204
    assert patch(client, alice, location, 5, b"x" * 6).status_code == 413
    assert head(client, alice, location)["Upload-Offset"] == "5"


@headers_only
@pytest.mark.parametrize(("length", "status"), [
    ("-1", 400), ("abc", 400), ("1e9", 400), ("", 400), (str(10**18), 413),
    ("99999999999999999999999", 400), ("0", 415)])
def test_bad_lengths(client: Client, alice: Persona, length: str, status: int) -> None:
    answer = client.post(URL, **alice.auth, **TUS, HTTP_UPLOAD_LENGTH=length)
    assert answer.status_code == status, answer.content
    assert not ResumableUpload.objects.exists()


@headers_only
@pytest.mark.parametrize("metadata", [
    "filename !!!notbase64", "filename aGVsbG8=,filename aGVsbG8=", "sha256 " + base64.b64encode(
        b"short").decode(), "modified_at " + base64.b64encode(b"yesterday").decode(),
    "filename " + base64.b64encode(b"\xff\xfe").decode()])
def test_bad_metadata_is_400(client: Client, alice: Persona, metadata: str) -> None:
    answer = create(client, alice, 10, HTTP_UPLOAD_METADATA=metadata)
    assert answer.status_code == 400, answer.content
    assert answer.json()["error"]["code"] == "bad_request"


@headers_only
def test_requests_without_the_protocol_version_are_412(client: Client, alice: Persona) -> None:
    answer = client.post(URL, **alice.auth, HTTP_UPLOAD_LENGTH="10")
    assert answer.status_code == 412 and answer["Tus-Version"] == "1.0.0"


@headers_only
def test_patch_needs_the_offset_content_type(client: Client, alice: Persona) -> None:
    location = create(client, alice, 10)["Location"]
    answer = client.patch(location, b"x", content_type="application/octet-stream",
                          HTTP_UPLOAD_OFFSET="0", **alice.auth, **TUS)
    assert answer.status_code == 415


def test_another_users_upload_is_404(client: Client, alice: Persona, bob: Persona) -> None:
    location = create(client, alice, 10)["Location"]
    assert patch(client, alice, location, 0, b"12345").status_code == 204
    assert head(client, bob, location).status_code == 404
    assert patch(client, bob, location, 5, b"x").status_code == 404
    assert client.delete(location, **bob.auth, **TUS).status_code == 404
    assert client.head(location, **TUS).status_code == 401
    base, upload_id = location.rsplit("/", 1)
    for near in (location + "0", location[:-1], f"{base}/{upload_id.upper()}"):
        assert head(client, alice, near).status_code == 404
    assert head(client, alice, location)["Upload-Offset"] == "5"


def test_termination_and_method_override(client: Client, alice: Persona) -> None:
    body = make_jpeg(8)
    location = create(client, alice, len(body))["Location"]
    over = client.post(location, body[:10], content_type=CHUNK, HTTP_UPLOAD_OFFSET="0",
                       HTTP_X_HTTP_METHOD_OVERRIDE="PATCH", **alice.auth, **TUS)
    assert over.status_code == 204 and over["Upload-Offset"] == "10"
    gone = client.post(location, HTTP_X_HTTP_METHOD_OVERRIDE="DELETE", **alice.auth, **TUS)
    assert gone.status_code == 204
    assert head(client, alice, location).status_code == 404
    assert not ResumableUpload.objects.exists()
    other = create(client, alice, len(body))["Location"]
    assert client.delete(other, **alice.auth, **TUS).status_code == 204
    bad = client.post(other, HTTP_X_HTTP_METHOD_OVERRIDE="GET", **alice.auth, **TUS)
    assert bad.status_code == 405 and bad["Allow"] == "HEAD, PATCH, DELETE, OPTIONS"


def test_a_patch_while_another_is_sending_is_409(client: Client, alice: Persona) -> None:
    location = create(client, alice, 100)["Location"]
    upload_id = location.rsplit("/", 1)[-1]
    ResumableUpload.objects.filter(pk=upload_id).update(
        lease="x" * 32, lease_until=timezone.now() + timedelta(seconds=30))
    answer = patch(client, alice, location, 0, b"x" * 10)
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "conflict"
    assert client.delete(location, **alice.auth, **TUS).status_code == 409
    # A lease whose server died lapses by itself.
    ResumableUpload.objects.filter(pk=upload_id).update(
        lease_until=timezone.now() - timedelta(seconds=1))
    assert patch(client, alice, location, 0, b"x" * 10).status_code == 204


def test_expired_uploads_are_410_then_removed_with_their_bytes(client: Client,
                                                               alice: Persona) -> None:
    location = create(client, alice, 100)["Location"]
    upload_id = location.rsplit("/", 1)[-1]
    assert patch(client, alice, location, 0, b"x" * 10).status_code == 204
    row = ResumableUpload.objects.get(pk=upload_id)
    assert timedelta(hours=71) < row.expires_at - timezone.now() <= timedelta(hours=72)
    ResumableUpload.objects.filter(pk=upload_id).update(
        expires_at=timezone.now() - timedelta(seconds=1))
    assert head(client, alice, location).status_code == 410
    assert patch(client, alice, location, 10, b"x").status_code == 410
    store = partial_store()
    out = io.StringIO()
    call_command("purge", stdout=out)  # what `imgbackup serve` runs every PURGE_INTERVAL
    assert "removed 1 resumable upload(s)" in out.getvalue()
    assert remove_expired() == 0
    assert head(client, alice, location).status_code == 404
    if hasattr(store, "path"):
        assert not store.path(upload_id).exists()


@override_settings(MAX_OPEN_UPLOADS=3)
def test_open_uploads_per_user_are_capped(client: Client, alice: Persona, bob: Persona) -> None:
    made = [create(client, alice, 10) for _ in range(3)]
    assert [m.status_code for m in made] == [201, 201, 201]
    over = create(client, alice, 10)
    assert over.status_code == 429 and over.json()["error"]["code"] == "too_many_uploads"
    assert create(client, bob, 10).status_code == 201  # per user
    assert client.delete(made[0]["Location"], **alice.auth, **TUS).status_code == 204
    assert create(client, alice, 10).status_code == 201


def test_gc_removes_partial_bytes_no_upload_refers_to(client: Client, alice: Persona) -> None:
    from imgbackup.photos.gc import collect

    kept = create(client, alice, 100)["Location"].rsplit("/", 1)[-1]
    lost = create(client, alice, 100)["Location"].rsplit("/", 1)[-1]
    for upload_id in (kept, lost):
        assert patch(client, alice, f"{URL}{upload_id}", 0, b"x" * 10).status_code == 204
    ResumableUpload.objects.filter(pk=lost).delete()  # as a crash before its row was saved
    soon = timezone.now() + timedelta(seconds=5)
    assert set(partial_store().leftovers(soon)) == {kept, lost}
    report = collect(grace=timedelta(seconds=-5))  # everything counts as old enough
    assert report.resumable == [lost]
    assert set(partial_store().leftovers(soon)) == {kept}
    assert head(client, alice, f"{URL}{kept}")["Upload-Offset"] == "10"


def test_a_failure_while_storing_the_last_chunk_keeps_the_upload_resumable(
        client: Client, alice: Persona, monkeypatch: pytest.MonkeyPatch) -> None:
    from imgbackup.photos import resumable
    from imgbackup.storage.errors import StorageUnavailable

    body = make_jpeg(12)
    location = create(client, alice, len(body))["Location"]
    assert patch(client, alice, location, 0, body[:100]).status_code == 204

    def down(*args: Any, **kwargs: Any) -> Any:
        raise StorageUnavailable("the store is away")

    monkeypatch.setattr(resumable, "ingest", down)
    assert patch(client, alice, location, 100, body[100:]).status_code == 503
    assert not Photo.objects.exists()
    monkeypatch.undo()
    answer = head(client, alice, location)
    if answer.status_code == 404:  # S3: the assembled parts cannot take the chunk again
        assert partial_store().leftovers(timezone.now() + timedelta(seconds=5)) == {}
        return
    assert answer["Upload-Offset"] == "100"  # local: send the last chunk again
    last = patch(client, alice, location, 100, body[100:])
    assert last.status_code == 204 and stored(last["Imgbackup-Photo-Id"]) == body


def test_an_upload_past_the_quota_is_refused_at_its_creation(client: Client,
                                                             alice: Persona) -> None:
    from imgbackup.accounts.quotas import set_quota

    set_quota(alice.user, 1000)
    answer = create(client, alice, 5000)
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "quota_exceeded"
    assert not ResumableUpload.objects.exists()
    assert create(client, alice, 500).status_code == 201
