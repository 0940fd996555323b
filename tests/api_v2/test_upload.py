"""POST /photos: many files, client checksums verified, file times, 201 versus 200."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from conftest import Persona, make_jpeg
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from api_v2.conftest import call, jpeg_file
from imgbackup.photos.models import Original, Photo
from imgbackup.storage import blobs


def post(client: Client, persona: Persona, data: dict[str, object]) -> object:
    return client.post("/api/v2/photos", data, **persona.auth)


def test_many_files_are_kept_and_a_second_upload_is_200(client: Client, alice: Persona) -> None:
    first = post(client, alice, {"file": [jpeg_file(1), jpeg_file(2)], "other": jpeg_file(3)})
    assert first.status_code == 201  # type: ignore[attr-defined]
    items = first.json()["items"]  # type: ignore[attr-defined]
    assert [i["filename"] for i in items] == ["IMG_0001.jpg", "IMG_0002.jpg", "IMG_0003.jpg"]
    assert [i["name"] for i in items] == ["file", "file", "other"]
    assert all(i["created"] for i in items)
    assert items[0]["sha256"] == hashlib.sha256(make_jpeg(1)).hexdigest() == items[0]["id"]
    assert items[0]["md5"] == hashlib.md5(make_jpeg(1)).hexdigest()
    assert items[0]["photo"]["content_type"] == "image/jpeg"
    again = post(client, alice, {"file": [jpeg_file(1)]})
    assert again.status_code == 200  # type: ignore[attr-defined]
    assert again.json()["items"][0]["created"] is False  # type: ignore[attr-defined]
    assert Photo.objects.count() == 3


def test_matching_checksums_are_accepted(client: Client, alice: Persona) -> None:
    answer = post(client, alice, {"file": [jpeg_file(1), jpeg_file(2)],
                                  "sha256": [hashlib.sha256(make_jpeg(1)).hexdigest().upper(),
                                             hashlib.sha256(make_jpeg(2)).hexdigest()]})
    assert answer.status_code == 201  # type: ignore[attr-defined]
    answer = post(client, alice, {"file": [jpeg_file(3)],
                                  "md5": [hashlib.md5(make_jpeg(3)).hexdigest()]})
    assert answer.status_code == 201  # type: ignore[attr-defined]


def test_a_checksum_mismatch_is_400_and_keeps_nothing(client: Client, alice: Persona) -> None:
    answer = post(client, alice, {"file": [jpeg_file(1)], "sha256": ["0" * 64]})
    assert answer.status_code == 400  # type: ignore[attr-defined]
    body = answer.json()  # type: ignore[attr-defined]
    assert body["error"]["code"] == "checksum_mismatch"
    assert body["rejected"][0]["filename"] == "IMG_0001.jpg"
    assert not Photo.objects.exists() and not Original.objects.exists()
    sha256 = hashlib.sha256(make_jpeg(1)).hexdigest()
    assert not blobs().exists(f"originals/{sha256[:2]}/{sha256[2:4]}/{sha256}")


def test_the_ith_checksum_belongs_to_the_ith_file(client: Client, alice: Persona) -> None:
    # The second file's md5 is wrong: the first is kept (201), the second rejected.
    answer = post(client, alice, {"a": jpeg_file(1), "b": jpeg_file(2),
                                  "md5": [hashlib.md5(make_jpeg(1)).hexdigest(), "f" * 32]})
    assert answer.status_code == 201  # type: ignore[attr-defined]
    body = answer.json()  # type: ignore[attr-defined]
    assert [i["filename"] for i in body["items"]] == ["IMG_0001.jpg"]
    assert body["rejected"] == [{"name": "b", "filename": "IMG_0002.jpg", "error": {
        "code": "checksum_mismatch", "message": body["rejected"][0]["error"]["message"]}}]


def test_last_modified_is_the_taken_at_of_a_photo_without_exif_date(client: Client,
                                                                   alice: Persona) -> None:
    answer = post(client, alice, {"file": [jpeg_file(1)], "last_modified": ["1700000000123"]})
    photo = answer.json()["items"][0]["photo"]  # type: ignore[attr-defined]
    assert photo["taken_at_source"] == "file"
    assert datetime.fromisoformat(photo["taken_at"]) == datetime.fromtimestamp(1700000000.123,
                                                                               tz=UTC)


def test_a_bad_last_modified_rejects_the_request(client: Client, alice: Persona) -> None:
    answer = post(client, alice, {"file": [jpeg_file(1)], "last_modified": ["yesterday"]})
    assert answer.status_code == 400  # type: ignore[attr-defined]
    assert not Photo.objects.exists()


def test_not_an_image_is_415_and_no_file_is_400(client: Client, alice: Persona) -> None:
    text = SimpleUploadedFile("notes.jpg", b"not a jpeg at all", "image/jpeg")
    assert post(client, alice, {"file": [text]}).status_code == 415  # type: ignore[attr-defined]
    assert post(client, alice, {"name": "x"}).status_code == 400  # type: ignore[attr-defined]
    answer = call(client, "POST", "/photos", alice, {"file": "x"})
    assert answer.status_code == 415


def test_uploading_a_trashed_photo_brings_it_back(client: Client, alice: Persona) -> None:
    photo_id = post(client, alice, {"file": [jpeg_file(1)]}).json()["items"][0]["id"]  # type: ignore[attr-defined]
    call(client, "DELETE", f"/photos/{photo_id}", alice)
    answer = post(client, alice, {"file": [jpeg_file(1)]})
    assert answer.json()["items"][0]["photo"]["trashed_at"] is None  # type: ignore[attr-defined]
