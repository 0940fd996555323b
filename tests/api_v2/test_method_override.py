"""POST with X-HTTP-Method-Override: how the mini program changes things (wx.request has no
PATCH). One mechanism (imgbackup/api/endpoint.py) for the API and for tus."""

from __future__ import annotations

from typing import Any

from conftest import Persona, make_jpeg
from django.test import Client

from api_v2.conftest import call, upload
from imgbackup.photos.models import Photo, ResumableUpload
from sharing.conftest import make_album

OVERRIDE = "HTTP_X_HTTP_METHOD_OVERRIDE"
TUS = {"HTTP_TUS_RESUMABLE": "1.0.0"}
CHUNK = "application/offset+octet-stream"


def tus_upload(client: Client, who: Persona, length: int) -> str:
    created = client.post("/api/v2/uploads/", HTTP_UPLOAD_LENGTH=str(length), **who.auth, **TUS)
    assert created.status_code == 201, created.content
    location: str = created["Location"]
    return location


def tus_post(client: Client, who: Persona, url: str, override: str, body: bytes = b"",
             **headers: Any) -> Any:
    return client.post(url, body, content_type=CHUNK, **{OVERRIDE: override}, **who.auth,
                       **TUS, **headers)


def test_a_post_overridden_to_patch_renames_an_album(client: Client, alice: Persona) -> None:
    album_id = make_album(client, alice, "Old")
    answer = call(client, "POST", f"/albums/{album_id}", alice, {"name": "New"},
                  **{OVERRIDE: "patch"})
    assert answer.status_code == 200, answer.content
    assert call(client, "GET", f"/albums/{album_id}", alice).json()["name"] == "New"


def test_it_overrides_only_to_a_method_the_view_takes(client: Client, alice: Persona) -> None:
    album_id = make_album(client, alice, "Kept")
    for override, refused in (("", "POST"), ("GET", "POST"), ("PUT", "PUT")):
        answer = call(client, "POST", f"/albums/{album_id}", alice, {"name": "x"},
                      **{OVERRIDE: override})
        assert answer.status_code == 405, (override, answer.content)
        assert answer.json()["error"]["message"].startswith(f"{refused} is not allowed")
        assert answer["Allow"] == "GET, PATCH, DELETE"
    assert call(client, "GET", f"/albums/{album_id}", alice).json()["name"] == "Kept"


def test_a_view_that_takes_post_ignores_the_override(client: Client, alice: Persona) -> None:
    photos = upload(client, alice, 1)
    album_id = make_album(client, alice)
    answer = call(client, "POST", f"/albums/{album_id}/photos", alice, {"ids": photos},
                  **{OVERRIDE: "DELETE"})
    assert answer.json()["done"] == photos  # added, as a POST here means


def test_the_override_keeps_the_owner_check(client: Client, alice: Persona, bob: Persona) -> None:
    album_id = make_album(client, alice, "Alice's")
    answer = call(client, "POST", f"/albums/{album_id}", bob, {"name": "Bob's"},
                  **{OVERRIDE: "PATCH"})
    assert answer.status_code == 404
    assert call(client, "GET", f"/albums/{album_id}", alice).json()["name"] == "Alice's"


def test_a_post_overridden_to_delete_trashes_a_photo(client: Client, alice: Persona) -> None:
    [photo] = upload(client, alice, 1)
    answer = call(client, "POST", f"/photos/{photo}", alice, **{OVERRIDE: " delete "})
    assert answer.status_code == 200, answer.content
    assert Photo.objects.get(owner=alice.user, original_id=photo).trashed_at is not None


def test_only_a_post_is_overridden(client: Client, alice: Persona) -> None:
    [photo] = upload(client, alice, 2)
    assert call(client, "GET", f"/photos/{photo}", alice, **{OVERRIDE: "DELETE"}).json()["id"]
    answer = call(client, "PUT", f"/photos/{photo}", alice, **{OVERRIDE: "DELETE"})
    assert answer.status_code == 405 and answer.json()["error"]["message"].startswith("PUT ")
    assert Photo.objects.get(owner=alice.user, original_id=photo).trashed_at is None


def test_a_post_overridden_to_patch_head_and_delete_on_a_tus_upload(client: Client,
                                                                     alice: Persona) -> None:
    body = make_jpeg(8)
    location = tus_upload(client, alice, len(body))
    sent = tus_post(client, alice, location, "PATCH", body[:10], HTTP_UPLOAD_OFFSET="0")
    assert sent.status_code == 204 and sent["Upload-Offset"] == "10"
    asked = tus_post(client, alice, location, "head")
    assert asked.status_code == 200 and asked["Upload-Offset"] == "10"
    assert tus_post(client, alice, location, "DELETE").status_code == 204
    assert not ResumableUpload.objects.exists()


def test_an_override_to_a_method_not_allowed_is_a_405_in_the_error_shape(
        client: Client, alice: Persona) -> None:
    [photo] = upload(client, alice, 3)
    location = tus_upload(client, alice, 100)
    refused = [
        call(client, "POST", f"/photos/{photo}", alice, **{OVERRIDE: "HEAD"}),  # not one of them
        tus_post(client, alice, location, "GET"),  # not one of tus's
        tus_post(client, alice, location, "PUT"),
        tus_post(client, alice, "/api/v2/uploads/", "PATCH"),  # one, but not at this URL
        tus_post(client, alice, location, ""),  # a POST, which the upload URL does not take
    ]
    for answer in refused:
        assert answer.status_code == 405, answer.content
        assert answer.json()["error"]["code"] == "method_not_allowed"
        assert answer["Allow"]
    assert refused[1]["Tus-Resumable"] == "1.0.0"
    assert refused[1]["Allow"] == "HEAD, PATCH, DELETE, OPTIONS"
    assert "X-HTTP-Method-Override: HEAD or PATCH or DELETE" in refused[4].json()["error"][
        "message"]
    assert Photo.objects.get(owner=alice.user, original_id=photo).trashed_at is None
    assert ResumableUpload.objects.get().offset == 0


def test_a_session_post_answered_as_head_still_needs_the_csrf_token(alice: Persona) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice.user)
    location = tus_upload(Client(), alice, 100)
    answer = browser.post(location, **{OVERRIDE: "HEAD"}, **TUS)
    # (Django's test client drops the body of what it takes for a HEAD; servers send it.)
    assert answer.status_code == 403 and "Upload-Offset" not in answer
