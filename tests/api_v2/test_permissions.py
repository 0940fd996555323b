"""Every v2 endpoint as its owner, as another user, anonymously and with bad input.

Alice owns a photo (``live``), a photo in the trash (``trashed``) and a second token; Bob owns
nothing of hers, so each of her objects must be a 404 for him, never a 403."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from conftest import Persona
from django.test import Client

from api_v2.conftest import call, jpeg_file, upload
from imgbackup.accounts.models import ApiToken
from imgbackup.accounts.tokens import create_token

NOT_HEX = "not-a-photo-id"
ABSENT = "0" * 64


@dataclass
class World:
    live: str
    trashed: str
    token: int

    def fill(self, path: str) -> str:
        return path.format(live=self.live, trashed=self.trashed, token=self.token)


@pytest.fixture
def world(client: Client, alice: Persona, bob: Persona) -> World:
    live, trashed = upload(client, alice, 1, 2)
    assert call(client, "DELETE", f"/photos/{trashed}", alice).status_code == 200
    token, _ = create_token(alice.user, "second")
    return World(live, trashed, token.pk)


# method, path, JSON body, the owner's status. "multipart" sends a new photo.
ENDPOINTS: list[tuple[str, str, Any, int]] = [
    ("GET", "/me", None, 200),
    ("GET", "/tokens", None, 200),
    ("POST", "/tokens", {"name": "laptop"}, 201),
    ("DELETE", "/tokens/{token}", None, 204),
    ("GET", "/photos", None, 200),
    ("POST", "/photos", "multipart", 201),
    ("POST", "/photos/check", {"hashes": ["{live}"]}, 200),
    ("GET", "/photos/{live}", None, 200),
    ("PATCH", "/photos/{live}", {"favourite": True}, 200),
    ("DELETE", "/photos/{live}", None, 200),
    ("GET", "/photos/{live}/original", None, 200),
    ("GET", "/photos/{live}/thumbnail", None, 200),
    ("GET", "/photos/{live}/preview", None, 200),
    ("POST", "/photos/{trashed}/restore", None, 200),
    ("GET", "/trash", None, 200),
    ("DELETE", "/trash/{trashed}", None, 204),
    ("DELETE", "/trash", None, 200),
]
IDS = [f"{method} {path}" for method, path, _, _ in ENDPOINTS]
# Endpoints about one of Alice's objects: 404 for anyone else.
SCOPED = [e for e in ENDPOINTS if "{" in e[1]]


def send(client: Client, world: World, persona: Persona | None, method: str, path: str,
         body: Any) -> Any:
    if body == "multipart":
        headers = persona.auth if persona else {}
        return client.post("/api/v2" + path, {"file": [jpeg_file(99)]}, **headers)
    if isinstance(body, dict) and "hashes" in body:
        body = {"hashes": [world.fill(h) for h in body["hashes"]]}
    return call(client, method, world.fill(path), persona, body)


@pytest.mark.parametrize(("method", "path", "body", "status"), ENDPOINTS, ids=IDS)
def test_the_owner_gets_an_answer(client: Client, world: World, alice: Persona, method: str,
                                  path: str, body: Any, status: int) -> None:
    answer = send(client, world, alice, method, path, body)
    assert answer.status_code == status, answer.content


@pytest.mark.parametrize(("method", "path", "body", "status"), ENDPOINTS, ids=IDS)
def test_anonymous_callers_are_refused(client: Client, world: World, method: str, path: str,
                                       body: Any, status: int) -> None:
    answer = send(client, world, None, method, path, body)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "not_authenticated"
    assert answer["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path", "body", "status"), SCOPED,
                         ids=[f"{m} {p}" for m, p, _, _ in SCOPED])
def test_bob_cannot_reach_alices_objects(client: Client, world: World, alice: Persona,
                                         bob: Persona, method: str, path: str, body: Any,
                                         status: int) -> None:
    answer = send(client, world, bob, method, path, body)
    assert answer.status_code == 404, answer.content
    assert answer.json()["error"]["code"] == "not_found"
    # ...and nothing of Alice's changed.
    assert call(client, "GET", f"/photos/{world.live}", alice).json()["favourite"] is False
    assert call(client, "GET", f"/photos/{world.trashed}", alice).status_code == 200
    assert ApiToken.objects.filter(pk=world.token).exists()


def test_bobs_lists_and_check_show_nothing_of_alices(client: Client, world: World,
                                                     bob: Persona) -> None:
    assert call(client, "GET", "/photos", bob).json()["items"] == []
    assert call(client, "GET", "/trash", bob).json()["items"] == []
    tokens = call(client, "GET", "/tokens", bob).json()["items"]
    assert [t["name"] for t in tokens] == ["tests"]
    check = call(client, "POST", "/photos/check", bob, {"hashes": [world.live, world.trashed]})
    assert check.json()["present"] == []
    assert call(client, "DELETE", "/trash", bob).json() == {"destroyed": 0}
    assert call(client, "GET", "/me", bob).json() == {"username": "bob", "is_admin": False,
                                                      "usage_bytes": 0, "quota_bytes": None}


def test_bob_uploading_alices_bytes_gets_his_own_photo(client: Client, world: World,
                                                       alice: Persona, bob: Persona) -> None:
    assert upload(client, bob, 1) == [world.live]
    call(client, "DELETE", f"/photos/{world.live}", bob)
    assert call(client, "DELETE", f"/trash/{world.live}", bob).status_code == 204
    original = call(client, "GET", f"/photos/{world.live}/original", alice)
    assert original.status_code == 200 and original.getvalue() == jpeg_file(1).read()


PHOTO_PATHS = ["/photos/{id}", "/photos/{id}/original", "/photos/{id}/thumbnail",
               "/photos/{id}/preview"]


@pytest.mark.parametrize("bad", [NOT_HEX, ABSENT, "A" * 63, "g" * 64, "%00"])
@pytest.mark.parametrize("path", PHOTO_PATHS)
def test_malformed_or_unknown_ids_are_404(client: Client, world: World, alice: Persona,
                                          path: str, bad: str) -> None:
    answer = call(client, "GET", path.format(id=bad), alice)
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"


def test_an_upper_case_id_means_the_same_photo(client: Client, world: World,
                                               alice: Persona) -> None:
    assert call(client, "GET", f"/photos/{world.live.upper()}", alice).json()["id"] == world.live


BAD_INPUT: list[tuple[str, str, Any, int]] = [
    ("POST", "/tokens", {}, 400),
    ("POST", "/tokens", {"name": ""}, 400),
    ("POST", "/tokens", {"name": "x" * 101}, 400),
    ("POST", "/tokens", {"name": "a\u0000b"}, 400),
    ("POST", "/tokens", [1, 2], 400),
    ("DELETE", "/tokens/abc", None, 404),
    ("DELETE", "/tokens/99999999999999999999999", None, 404),
    ("POST", "/photos/check", {"hashes": ["xyz"]}, 400),
    ("POST", "/photos/check", {"hashes": "abc"}, 400),
    ("POST", "/photos/check", {"hashes": [1]}, 400),
    ("POST", "/photos/check", {"hash": []}, 400),
    ("PATCH", "/photos/{live}", {"favourite": "yes"}, 400),
    ("PATCH", "/photos/{live}", {"favourite": True, "filename": "x"}, 400),
    ("PATCH", "/photos/{live}", {}, 400),
    ("GET", "/photos?limit=0", None, 400),
    ("GET", "/photos?limit=ten", None, 400),
    ("GET", "/photos?cursor=garbage", None, 400),
    ("GET", "/photos?since=yesterday", None, 400),
    ("GET", "/photos?favourite=maybe", None, 400),
    ("GET", "/photos?q=%00", None, 400),
    ("GET", "/trash?cursor=W10", None, 400),
    ("GET", "/photos/{live}/original?download=perhaps", None, 400),
    ("DELETE", "/trash/{live}", None, 404),
    ("PUT", "/photos/{live}", None, 405),
    ("POST", "/me", None, 405),
]


@pytest.mark.parametrize(("method", "path", "body", "status"), BAD_INPUT,
                         ids=[f"{m} {p} {b}" for m, p, b, _ in BAD_INPUT])
def test_bad_input_is_a_client_error(client: Client, world: World, alice: Persona, method: str,
                                     path: str, body: Any, status: int) -> None:
    answer = call(client, method, world.fill(path), alice, body)
    assert answer.status_code == status, answer.content
    assert set(answer.json()) == {"error"}


def test_dates_beyond_the_calendar_in_utc_mean_its_ends(client: Client, world: World,
                                                        alice: Persona) -> None:
    for query in ("since=0001-01-01T00:00:00%2B05:00", "until=9999-12-31T23:59:59-05:00",
                  "until=9999-12-31"):
        answer = call(client, "GET", f"/photos?{query}", alice)
        assert answer.status_code == 200, (query, answer.content)
        assert len(answer.json()["items"]) == 1


def test_a_405_says_which_methods_are_allowed(client: Client, alice: Persona) -> None:
    assert call(client, "PUT", "/photos", alice)["Allow"] == "GET, POST"


def test_a_non_json_body_is_refused(client: Client, alice: Persona) -> None:
    answer = client.post("/api/v2/photos/check", "hashes=1", "text/plain", **alice.auth)
    assert answer.status_code == 415
    answer = client.post("/api/v2/photos/check", "{nope", "application/json", **alice.auth)
    assert answer.status_code == 400
