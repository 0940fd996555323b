"""The one v2 error shape, pinned: clients parse it (web/js/api.js, the CLI, the mini program)."""

from __future__ import annotations

from conftest import Persona
from django.test import Client

from api_v2.conftest import call


def test_errors_have_exactly_a_code_and_a_message(client: Client, alice: Persona) -> None:
    answer = call(client, "GET", "/photos/" + "0" * 64, alice)
    assert answer.status_code == 404
    assert answer["Content-Type"] == "application/json"
    assert answer.json() == {"error": {"code": "not_found", "message": "photo not found"}}


def test_an_unknown_v2_path_answers_in_the_same_shape(client: Client, alice: Persona) -> None:
    answer = call(client, "GET", "/no-such-thing", alice)
    assert answer.status_code == 404
    assert set(answer.json()["error"]) == {"code", "message"}


def test_a_bad_token_is_401_with_the_shape(client: Client, db: None) -> None:
    answer = client.get("/api/v2/me", HTTP_AUTHORIZATION="Bearer ib_nope")
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "not_authenticated"


def test_an_upload_with_nothing_kept_adds_its_lists_to_the_shape(client: Client,
                                                                 alice: Persona) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    answer = client.post("/api/v2/photos",
                         {"file": SimpleUploadedFile("a.txt", b"hello", "text/plain")},
                         **alice.auth)
    assert answer.status_code == 415
    body = answer.json()
    assert set(body) == {"error", "items", "rejected"}
    assert body["error"]["code"] == "unsupported_media_type"
    assert body["items"] == []
    assert body["rejected"][0]["error"]["code"] == "unsupported_media_type"


def test_an_upload_that_is_not_multipart_says_415_with_its_code(client: Client,
                                                                alice: Persona) -> None:
    """The status and the code agree: 415 is `unsupported_media_type`, as api.md lists it."""
    answer = client.post("/api/v2/photos", b"{}", content_type="application/json",
                         **alice.auth)
    assert answer.status_code == 415
    assert answer.json()["error"]["code"] == "unsupported_media_type"
    bare = client.post("/api/v2/photos", b"", content_type="", **alice.auth)
    assert bare.status_code == 400
    assert bare.json()["error"]["code"] == "bad_request"
