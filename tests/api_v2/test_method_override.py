"""POST with X-HTTP-Method-Override: how the mini program changes things (wx.request has no
PATCH)."""

from __future__ import annotations

from conftest import Persona
from django.test import Client

from api_v2.conftest import call, upload
from sharing.conftest import make_album

OVERRIDE = "HTTP_X_HTTP_METHOD_OVERRIDE"


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
