"""No 5xx on any input: JSON nested 200 000 levels deep and lone surrogates sent to every
endpoint and method of the URL configuration (enumerated, as in the permission matrix), and an
EXIF date past the calendar's end in UTC. Each answer is below 500, in the API's shape, and
leaves no object behind."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from conftest import Persona, make_jpeg
from django.test import Client
from PIL import Image
# The permission matrix's routes, and its fixture: a photo of alice's, bob, an admin.
from test_permission_matrix import ROUTES, Route, Scene, scene  # noqa: F401

from imgbackup.api.files import download_name
from imgbackup.photos.models import Original, Photo, TakenAtSource
from imgbackup.storage import blobs

pytestmark = pytest.mark.django_db
WRITES = ("POST", "PUT", "PATCH", "DELETE")
CASES = [(route, method) for route in ROUTES for method in route.methods if method in WRITES]
DEEP = b"[" * 200_000 + b"]" * 200_000
LONE = "\ud800"
# Every string field of every JSON body the APIs read, alone and beside what makes it count.
SURROGATE_BODIES: list[dict[str, Any]] = [
    {"username": LONE, "password": "alice-password-123"},
    {"username": "alice", "password": LONE},
    {"name": LONE}, {"code": LONE}, {"hashes": [LONE]}, {"favourite": LONE},
    {"ids": [LONE], "action": "trash"}, {"action": LONE, "ids": []}, {LONE: 1},
]


def send(client: Client, persona: Persona, method: str, url: str, body: bytes) -> Any:
    return client.generic(method, url, body, content_type="application/json", **persona.auth)


def assert_client_error(response: Any, route: Route) -> None:
    assert response.status_code < 500, response.content[:300]
    if route.is_api and response.status_code >= 400:
        body = response.json()
        message = body.get("message") or body["error"]["message"]
        assert isinstance(message, str) and message


@pytest.mark.parametrize(("route", "method"), CASES, ids=[f"{m} /{r.route}" for r, m in CASES])
def test_json_nested_200000_levels_deep_is_a_client_error(
        route: Route, method: str, request: pytest.FixtureRequest) -> None:
    world: Scene = request.getfixturevalue("scene")
    client = Client()
    client.force_login(world.alice.user)
    assert_client_error(send(client, world.alice, method, world.url(route), DEEP), route)


@pytest.mark.parametrize(("route", "method"), CASES, ids=[f"{m} /{r.route}" for r, m in CASES])
def test_lone_surrogates_in_every_string_field_are_a_client_error(
        route: Route, method: str, request: pytest.FixtureRequest) -> None:
    world: Scene = request.getfixturevalue("scene")
    client = Client()
    client.force_login(world.alice.user)
    for body in SURROGATE_BODIES:
        raw = json.dumps(body).encode()  # "\ud800" escaped: valid JSON, not valid Unicode
        assert_client_error(send(client, world.alice, method, world.url(route), raw), route)


def test_a_surrogate_answer_says_what_is_wrong() -> None:
    answer = Client().post("/api/v2/auth/token", json.dumps({"username": LONE, "password": "x"}),
                           content_type="application/json")
    assert answer.status_code == 400
    assert "surrogate" in answer.json()["error"]["message"]


def jpeg_taken(date: str, offset: str) -> bytes:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = date
    exif.get_ifd(0x8769)[0x9011] = offset
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (1, 2, 3)).save(buf, "JPEG", exif=exif.tobytes())
    return buf.getvalue()


def test_an_exif_date_past_year_9999_in_utc_is_kept_without_it(alice: Persona) -> None:
    data = jpeg_taken("9999:12:31 23:59:59", "-14:00")
    answer = Client().post("/api/v2/photos", {"file": io.BytesIO(data)},  # type: ignore[dict-item]
                           **alice.auth)
    assert answer.status_code == 201, answer.content
    photo = Photo.objects.get(owner=alice.user)
    assert photo.taken_at_source != TakenAtSource.EXIF
    # The stored object has its row (before, the row failed after the object was placed).
    assert [o.sha256 for o in Original.objects.all()] == [photo.original_id]
    assert blobs().exists(photo.original.storage_name)


def test_the_last_moment_that_fits_is_kept_from_exif(alice: Persona) -> None:
    data = jpeg_taken("9999:12:31 09:59:59", "-14:00")
    answer = Client().post("/api/v2/photos", {"file": io.BytesIO(data)},  # type: ignore[dict-item]
                           **alice.auth)
    assert answer.status_code == 201, answer.content
    assert Photo.objects.get(owner=alice.user).taken_at_source == TakenAtSource.EXIF


def test_a_jpeg_named_html_downloads_with_a_jpeg_extension(alice: Persona) -> None:
    client = Client()
    answer = client.post("/api/v2/photos", {"file": io.BytesIO(make_jpeg(3))},  # type: ignore[dict-item]
                         **alice.auth)
    photo_id = answer.json()["items"][0]["id"]
    Photo.objects.filter(original_id=photo_id).update(filename="x.html")
    for url in (f"/api/v2/photos/{photo_id}/original?download=1",
                f"/api/v2/photos/{photo_id}/original"):
        got = client.get(url, **alice.auth)
        assert got.status_code == 200
        disposition = got.get("Content-Disposition", "")
        assert ".html" not in disposition, disposition
        if "download" in url:
            assert 'filename="x.jpg"' in disposition, disposition


def test_image_responses_carry_a_restrictive_csp(alice: Persona) -> None:
    client = Client()
    answer = client.post("/api/v2/photos", {"file": io.BytesIO(make_jpeg(4))},  # type: ignore[dict-item]
                         **alice.auth)
    photo_id = answer.json()["items"][0]["id"]
    md5 = answer.json()["items"][0]["md5"]
    for url in (f"/api/v2/photos/{photo_id}/original", f"/api/v2/photos/{photo_id}/thumbnail",
                f"/api/v2/photos/{photo_id}/preview", f"/api/v1.0/service/image/?md5={md5}"):
        got = client.get(url, **alice.auth)
        assert got.status_code == 200, url
        assert got["Content-Security-Policy"] == "default-src 'none'; sandbox", url


@pytest.mark.parametrize(("name", "content_type", "expected"), [
    ("x.html", "image/jpeg", "x.jpg"), ("IMG_1.JPG", "image/jpeg", "IMG_1.JPG"),
    ("a.jpeg", "image/jpeg", "a.jpeg"), ("shot.png.exe", "image/png", "shot.png.png"),
    ("noext", "image/heic", "noext.heic"), (".bashrc", "image/gif", ".bashrc.gif"),
    ("scan.TIFF", "image/tiff", "scan.TIFF"), ("x.svg", "image/webp", "x.webp"),
])
def test_download_names_carry_the_bytes_extension(name: str, content_type: str,
                                                  expected: str) -> None:
    assert download_name(name, content_type) == expected
