"""POST /photos/bulk and POST /photos/zip: what the timeline's selection does to many photos."""

from __future__ import annotations

import io
import zipfile

import pytest
from conftest import Persona, make_jpeg
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from api_v2.conftest import API, call, upload


def test_bulk_actions_change_only_the_callers_photos(client: Client, alice: Persona,
                                                     bob: Persona) -> None:
    mine = upload(client, alice, 1, 2, 3)
    theirs = upload(client, bob, 4)
    asked = [*mine[:2], theirs[0], "nonsense", mine[0].upper()]
    answer = call(client, "POST", "/photos/bulk", alice, {"ids": asked, "action": "trash"})
    assert answer.status_code == 200
    assert answer.json() == {"done": mine[:2], "not_found": [theirs[0], "nonsense"]}
    assert [p["id"] for p in call(client, "GET", "/photos", alice).json()["items"]] == [mine[2]]
    assert call(client, "GET", f"/photos/{theirs[0]}", bob).json()["trashed_at"] is None

    call(client, "POST", "/photos/bulk", alice, {"ids": mine[:1], "action": "restore"})
    call(client, "POST", "/photos/bulk", alice, {"ids": mine, "action": "favourite"})
    listed = call(client, "GET", "/photos?favourite=true", alice).json()["items"]
    assert sorted(p["id"] for p in listed) == sorted([mine[0], mine[2]])
    call(client, "POST", "/photos/bulk", alice, {"ids": [mine[0]], "action": "unfavourite"})
    buckets = call(client, "GET", "/timeline/buckets?favourite=true", alice).json()["buckets"]
    assert sum(b["count"] for b in buckets) == 1


def test_destroy_takes_only_photos_in_the_trash(client: Client, alice: Persona,
                                                bob: Persona) -> None:
    live, trashed = upload(client, alice, 1, 2)
    theirs = upload(client, bob, 3)[0]
    call(client, "DELETE", f"/photos/{trashed}", alice)
    call(client, "DELETE", f"/photos/{theirs}", bob)
    answer = call(client, "POST", "/photos/bulk", alice,
                  {"ids": [live, trashed, theirs], "action": "destroy"})
    assert answer.json() == {"done": [trashed], "not_found": [live, theirs]}
    assert call(client, "GET", f"/photos/{trashed}", alice).status_code == 404
    assert call(client, "GET", f"/photos/{live}", alice).status_code == 200
    assert call(client, "GET", f"/photos/{theirs}", bob).status_code == 200


@pytest.mark.parametrize("body", [
    {"ids": [], "action": "trash"},
    {"ids": "abc", "action": "trash"},
    {"ids": [1, 2], "action": "trash"},
    {"ids": ["a"], "action": "purge"},
    {"ids": ["a"], "action": {}},
    {"ids": ["a"] * 5001, "action": "trash"},
    {"ids": ["a"], "action": "trash", "extra": 1},
])
def test_a_bulk_request_that_does_not_parse_is_a_400(client: Client, alice: Persona,
                                                     body: dict[str, object]) -> None:
    answer = call(client, "POST", "/photos/bulk", alice, body)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "bad_request"


def test_the_zip_holds_the_originals_unchanged_under_unique_names(client: Client,
                                                                  alice: Persona,
                                                                  bob: Persona) -> None:
    files = {"a": make_jpeg(1), "b": make_jpeg(2), "c": make_jpeg(3)}
    names = {"a": "IMG_1.jpg", "b": "img_1.JPG", "c": "IMG_1.jpg"}
    ids = {}
    for key, data in files.items():
        answer = client.post(f"{API}/photos", {"file": SimpleUploadedFile(
            names[key], data, "image/jpeg")}, **alice.auth)
        ids[key] = answer.json()["items"][0]["id"]
    theirs = upload(client, bob, 9)[0]
    answer = call(client, "POST", "/photos/zip", alice,
                  {"ids": [ids["a"], theirs, ids["b"], ids["c"]]})
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/zip"
    assert answer["Content-Disposition"].startswith('attachment; filename="imgbackup-')
    archive = zipfile.ZipFile(io.BytesIO(b"".join(answer.streaming_content)))
    assert archive.testzip() is None
    assert archive.namelist() == ["IMG_1.jpg", "img_1 (2).JPG", "IMG_1 (3).jpg"]
    assert [archive.read(n) for n in archive.namelist()] == [files["a"], files["b"], files["c"]]


def test_the_zip_can_be_asked_for_with_a_form(client: Client, alice: Persona) -> None:
    ids = upload(client, alice, 1, 2)
    answer = client.post(f"{API}/photos/zip", {"ids": ",".join(ids)}, **alice.auth)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(answer.streaming_content)))
    assert len(archive.namelist()) == 2


def test_a_zip_of_nothing_of_yours_is_not_found(client: Client, alice: Persona,
                                            bob: Persona) -> None:
    theirs = upload(client, bob, 1)
    answer = call(client, "POST", "/photos/zip", alice, {"ids": theirs})
    assert answer.status_code == 404


@pytest.mark.parametrize("path", ["/photos/bulk", "/photos/zip"])
def test_bulk_needs_a_login(client: Client, path: str) -> None:
    assert call(client, "POST", path, None, {"ids": ["a"]}).status_code == 401
