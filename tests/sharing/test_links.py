"""Share links: what a guest without an account reaches, with and without a password, and what
it never reaches (other photos, originals when downloads are off, hidden metadata)."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import Persona
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import ExifTags, Image

from api_v2.conftest import call, jpeg_file, upload
from imgbackup.sharing.models import AlbumItem, ShareLink
from sharing.conftest import make_album, make_link


def jpeg_with_gps(seed: int) -> bytes:
    im = Image.new("RGB", (64, 48), (seed, 100, 50))
    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)})
    buf = io.BytesIO()
    im.save(buf, "JPEG", exif=exif)
    return buf.getvalue()


def guest(client: Client, path: str, password: str | None = None, **extra: Any) -> Any:
    headers = {"HTTP_SHARE_PASSWORD": password} if password is not None else {}
    return client.get(f"/api/v2/s/{path}", **headers, **extra)


def body_of(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_a_link_shows_exactly_its_photos(client: Client, alice: Persona) -> None:
    photos = upload(client, alice, 1, 2, 3)
    link = make_link(client, alice, ids=photos[:2])
    assert len(link["key"]) >= 22 and link["url"].endswith(f"/s/{link['key']}")
    anonymous = Client()
    page = guest(anonymous, link["key"])
    assert page.status_code == 200, page.content
    assert sorted(i["id"] for i in page.json()["items"]) == sorted(photos[:2])
    for item in page.json()["items"]:
        assert anonymous.get(item["urls"]["thumbnail"]).status_code == 200
        assert anonymous.get(item["urls"]["preview"]).status_code == 200
    for kind in ("thumbnail", "preview", "original"):
        assert guest(anonymous, f"{link['key']}/photos/{photos[2]}/{kind}").status_code == 404
    assert guest(anonymous, link["key"][:-1]).status_code == 404
    assert guest(anonymous, link["key"] + "x").status_code == 404
    # Trashed: hidden from the link too.
    call(client, "DELETE", f"/photos/{photos[0]}", alice)
    assert [i["id"] for i in guest(anonymous, link["key"]).json()["items"]] == photos[1:2]


def test_originals_and_the_zip_only_when_downloads_are_allowed(client: Client,
                                                               alice: Persona) -> None:
    photos = upload(client, alice, 1, 2)
    album_id = make_album(client, alice, ids=photos)
    allowed = make_link(client, alice, album=album_id)
    page = guest(client, allowed["key"]).json()
    original = client.get(page["items"][0]["urls"]["original"])
    assert original.status_code == 200
    archive = client.get(page["zip_url"])
    assert archive.status_code == 200 and archive["Content-Type"] == "application/zip"
    assert len(zipfile.ZipFile(io.BytesIO(body_of(archive))).namelist()) == 2

    closed = make_link(client, alice, album=album_id, allow_download=False)
    page = guest(client, closed["key"]).json()
    assert page["zip_url"] is None and page["items"][0]["urls"]["original"] is None
    assert guest(client, f"{closed['key']}/photos/{photos[0]}/original").status_code == 404
    assert guest(client, f"{closed['key']}/zip").status_code == 404
    assert guest(client, f"{closed['key']}/photos/{photos[0]}/preview").status_code == 200


def test_metadata_is_hidden_unless_shown(client: Client, alice: Persona) -> None:
    answer = client.post("/api/v2/photos", {"file": SimpleUploadedFile(
        "Paris-home.jpg", jpeg_with_gps(5), "image/jpeg")}, **alice.auth)
    photo = answer.json()["items"][0]["photo"]
    assert photo["latitude"] is not None
    hidden = make_link(client, alice, ids=[photo["id"]])
    item = guest(client, hidden["key"]).json()["items"][0]
    for field in ("latitude", "longitude", "filename", "taken_at", "camera_make"):
        assert item[field] is None, field
    assert "favourite" not in item and "trashed_at" not in item
    for kind in ("preview", "thumbnail"):
        served = body_of(guest(client, f"{hidden['key']}/photos/{photo['id']}/{kind}"))
        assert not Image.open(io.BytesIO(served)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    shown = make_link(client, alice, ids=[photo["id"]], show_metadata=True)
    item = guest(client, shown["key"]).json()["items"][0]
    assert item["latitude"] == photo["latitude"] and item["filename"] == "Paris-home.jpg"


def test_a_password_is_asked_for_checked_and_throttled(client: Client, alice: Persona,
                                                       settings: Any) -> None:
    settings.LOGIN_MAX_FAILURES = 3
    photos = upload(client, alice, 1)
    link = make_link(client, alice, ids=photos, password="open sesame")
    assert link["has_password"] and "open sesame" not in str(link)
    assert ShareLink.objects.get().password.startswith("md5$")  # hashed, never kept plainly
    stranger = Client()
    assert guest(stranger, link["key"]).status_code == 401
    assert guest(stranger, f"{link['key']}/photos/{photos[0]}/thumbnail").status_code == 401
    wrong = guest(stranger, link["key"], "open barley")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "wrong_password")
    right = guest(stranger, link["key"], "open sesame")
    assert right.status_code == 200
    # The page's <img> requests carry no header: the answer's cookie lets them through.
    assert guest(stranger, f"{link['key']}/photos/{photos[0]}/thumbnail").status_code == 200
    assert guest(Client(), f"{link['key']}/photos/{photos[0]}/thumbnail").status_code == 401

    for _ in range(3):
        assert guest(Client(), link["key"], "guess").status_code == 401
    # Throttled like logins: now even the right password waits.
    throttled = guest(Client(), link["key"], "open sesame")
    assert (throttled.status_code, throttled.json()["error"]["code"]) == (429, "throttled")


def test_expired_and_revoked_links_are_unknown(client: Client, alice: Persona) -> None:
    photos = upload(client, alice, 1)
    soon = datetime.now(UTC) + timedelta(hours=1)
    link = make_link(client, alice, ids=photos, expires_at=soon.isoformat())
    assert guest(client, link["key"]).status_code == 200
    ShareLink.objects.update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert guest(client, link["key"]).status_code == 404
    assert guest(client, f"{link['key']}/photos/{photos[0]}/thumbnail").status_code == 404

    kept = make_link(client, alice, ids=photos)
    assert call(client, "GET", "/shares", alice).json()["items"][0]["key"] == kept["key"]
    assert call(client, "DELETE", f"/shares/{kept['key']}", alice).status_code == 204
    for path in ("", f"/photos/{photos[0]}/thumbnail", "/zip"):
        assert guest(client, kept["key"] + path).status_code == 404


def test_only_the_owner_lists_changes_and_revokes_a_link(client: Client, alice: Persona,
                                                         bob: Persona) -> None:
    photos = upload(client, alice, 1)
    link = make_link(client, alice, ids=photos)
    assert call(client, "GET", "/shares", bob).json()["items"] == []
    for method, body in (("GET", None), ("PATCH", {"allow_download": False}),
                         ("DELETE", None)):
        assert call(client, method, f"/shares/{link['key']}", bob, body).status_code == 404
    changed = call(client, "PATCH", f"/shares/{link['key']}", alice,
                   {"allow_download": False, "password": "pw"})
    assert changed.json()["allow_download"] is False and changed.json()["has_password"]
    assert guest(Client(), link["key"]).status_code == 401


@pytest.mark.parametrize("body", [
    {}, {"album": "x", "ids": ["y"]}, {"ids": []}, {"album": 5},
    {"ids": ["a" * 64], "allow_upload": True}, {"ids": ["a" * 64], "allow_download": "yes"},
    {"ids": ["a" * 64], "expires_at": "tomorrow"},
    {"ids": ["a" * 64], "expires_at": "2020-01-01T00:00:00+00:00"},
    {"ids": ["a" * 64], "password": 5}, {"ids": ["a" * 64], "colour": "red"},
])
def test_bad_links_are_400(client: Client, alice: Persona, body: dict[str, Any]) -> None:
    answer = call(client, "POST", "/shares", alice, body)
    assert answer.status_code == 400, answer.content
    assert ShareLink.objects.count() == 0


def test_links_name_only_the_callers_own_photos_and_albums(client: Client, alice: Persona,
                                                           bob: Persona) -> None:
    photos = upload(client, alice, 1)
    album_id = make_album(client, alice, ids=photos)
    assert call(client, "POST", "/shares", bob, {"ids": photos}).status_code == 404
    assert call(client, "POST", "/shares", bob, {"album": album_id}).status_code == 404
    assert ShareLink.objects.count() == 0


def test_a_guest_uploads_into_the_album_as_the_owners_photo(client: Client,
                                                            alice: Persona) -> None:
    album_id = make_album(client, alice)
    closed = make_link(client, alice, album=album_id)
    refused = Client().post(f"/api/v2/s/{closed['key']}/upload", {"file": jpeg_file(8)})
    assert refused.status_code == 404
    link = make_link(client, alice, album=album_id, allow_upload=True)
    sent = Client().post(f"/api/v2/s/{link['key']}/upload",
                         {"file": [jpeg_file(8), SimpleUploadedFile("x.jpg", b"not an image")]})
    assert sent.status_code == 201, sent.content
    new_id = sent.json()["ids"][0]
    assert sent.json()["rejected"][0]["error"]["code"] == "unsupported_media_type"
    mine = call(client, "GET", f"/photos/{new_id}", alice)  # counted as the owner's
    assert mine.status_code == 200
    item = call(client, "GET", f"/albums/{album_id}", alice).json()["items"][0]
    assert (item["id"], item["guest_upload"]) == (new_id, True)
    assert AlbumItem.objects.get().guest
    only_bad = Client().post(f"/api/v2/s/{link['key']}/upload",
                             {"file": SimpleUploadedFile("y.jpg", b"nope")})
    assert only_bad.status_code == 415
    # The owner reviews and removes it: out of the album, then out of the library.
    call(client, "DELETE", f"/albums/{album_id}/photos", alice, {"ids": [new_id]})
    assert call(client, "DELETE", f"/photos/{new_id}", alice).status_code == 200
