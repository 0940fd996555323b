"""The sharing permission matrix: every album and link endpoint, called as each role, answers
exactly what that role allows and 404 otherwise (401 when no one is signed in, or a link's
password is missing) — never a 403 that would confirm the album or link exists.

Roles: the album's owner (alice), a member viewer (bob), a member contributor (carol), another
user (dave), the owner's partner (frank), anonymous; for links, a guest with the password,
without it, with a wrong one,
and the holder of an expired or a revoked link."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import Persona, _persona
from django.core.cache import cache
from django.test import Client

from api_v2.conftest import jpeg_file, upload
from imgbackup.photos.models import Photo
from imgbackup.sharing.models import Album, AlbumItem, Partner, ShareLink
from sharing.conftest import make_album, make_link, share_with

# The owner acts last. A partner (who sees the owner's whole timeline) gets no more of an album
# or a link than another user.
USERS = ("anonymous", "other", "partner", "viewer", "contributor", "owner")
GUESTS = ("no_password", "wrong_password", "expired", "revoked", "with_password")
PASSWORD = "correct horse"


@dataclass
class Scene:
    people: dict[str, Persona]
    album: str
    photo: str  # the owner's, in the album
    outside: str  # the owner's, only in another album
    links: dict[str, str]  # role -> key

    def fill(self, template: str) -> str:
        for name, value in {"a": self.album, "p": self.photo, "o": self.outside,
                            **self.links}.items():
            template = template.replace("{" + name + "}", value)
        return template


@pytest.fixture
def scene(db: None, settings: Any) -> Scene:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    people = {role: _persona(name) for role, name in
              (("owner", "alice"), ("viewer", "bob"), ("contributor", "carol"),
               ("other", "dave"), ("extra", "erin"), ("partner", "frank"))}
    client = Client()
    owner = people["owner"]
    photo, outside = upload(client, owner, 1, 2)
    album = make_album(client, owner, ids=[photo])
    make_album(client, owner, "Private", ids=[outside])  # another album: never reachable here
    share_with(client, owner, album, people["viewer"], "viewer")
    share_with(client, owner, album, people["contributor"], "contributor")
    share_with(client, owner, album, people["extra"], "viewer")
    upload(client, people["contributor"], 3)
    assert client.post("/api/v2/partners", json.dumps({"username": "frank"}), "application/json",
                       **owner.auth).status_code == 201
    live = make_link(client, owner, album=album, password=PASSWORD, allow_upload=True)["key"]
    expired = make_link(client, owner, album=album, expires_at=(
        datetime.now(UTC) + timedelta(hours=1)).isoformat())["key"]
    ShareLink.objects.filter(key=expired).update(expires_at=datetime.now(UTC) - timedelta(1))
    revoked = make_link(client, owner, album=album)["key"]
    ShareLink.objects.filter(key=revoked).delete()
    links = {"live": live, "expired": expired, "revoked": revoked}
    return Scene(people, album, photo, outside, links)


OK = {"owner": 200, "viewer": 200, "contributor": 200, "other": 404, "anonymous": 401}
OWNER_ONLY = {"owner": 200, "viewer": 404, "contributor": 404, "other": 404, "anonymous": 401}
WRITERS = {"owner": 200, "viewer": 404, "contributor": 200, "other": 404, "anonymous": 401}


def owner_only(status: int) -> dict[str, int]:
    return {**OWNER_ONLY, "owner": status}


# The owner (alice) shares her timeline with frank: only he reads it, or chooses to merge it.
PARTNER_ONLY = {**OWNER_ONLY, "owner": 404, "partner": 200}


# (method, path, body, expected status per role)
USER_CASES: list[tuple[str, str, Any, dict[str, int]]] = [
    ("GET", "/albums/{a}", None, OK),
    ("PATCH", "/albums/{a}", {"name": "renamed"}, OWNER_ONLY),
    ("DELETE", "/albums/{a}", None, owner_only(204)),
    ("POST", "/albums/{a}/photos", {"ids": ["{o}"]}, WRITERS),
    ("DELETE", "/albums/{a}/photos", {"ids": ["{p}"]}, WRITERS),
    ("GET", "/albums/{a}/photos/{p}/original", None, OK),
    ("GET", "/albums/{a}/photos/{p}/thumbnail", None, OK),
    ("GET", "/albums/{a}/photos/{p}/preview", None, OK),
    ("GET", "/albums/{a}/photos/{o}/thumbnail", None, {**OK, "viewer": 404,
                                                       "contributor": 404, "owner": 404}),
    ("POST", "/albums/{a}/members", {"username": "dave", "role": "viewer"}, owner_only(201)),
    ("DELETE", "/albums/{a}/members/erin", None, owner_only(204)),
    ("POST", "/shares", {"album": "{a}"}, owner_only(201)),
    ("GET", "/shares/{live}", None, OWNER_ONLY),
    ("PATCH", "/shares/{live}", {"allow_download": False}, OWNER_ONLY),
    ("DELETE", "/shares/{live}", None, owner_only(204)),
    ("GET", "/partners/alice/photos", None, PARTNER_ONLY),
    ("GET", "/partners/alice/photos/{p}/original", None, PARTNER_ONLY),
    ("GET", "/partners/alice/photos/{p}/thumbnail", None, PARTNER_ONLY),
    ("GET", "/partners/alice/photos/{p}/preview", None, PARTNER_ONLY),
    # A photo: no playback or motion, for the partner too (but never a 403 to anyone).
    ("GET", "/partners/alice/photos/{p}/playback", None, {**PARTNER_ONLY, "partner": 404}),
    ("GET", "/partners/alice/photos/{p}/motion", None, {**PARTNER_ONLY, "partner": 404}),
    ("PATCH", "/partners/alice", {"in_timeline": True}, PARTNER_ONLY),
    ("DELETE", "/partners/alice", None, {**PARTNER_ONLY, "partner": 204}),
]

LIVE = {"with_password": 200, "no_password": 401, "wrong_password": 401, "expired": 404,
        "revoked": 404}
GUEST_CASES: list[tuple[str, str, dict[str, int]]] = [
    ("GET", "", LIVE),
    ("GET", "/zip", LIVE),
    ("GET", "/photos/{p}/original", LIVE),
    ("GET", "/photos/{p}/thumbnail", LIVE),
    ("GET", "/photos/{p}/preview", LIVE),
    ("GET", "/photos/{o}/thumbnail", {**LIVE, "with_password": 404}),
    ("GET", "/photos/{o}/original", {**LIVE, "with_password": 404}),
    ("POST", "/upload", {**LIVE, "with_password": 201}),
]


def snapshot(scene: Scene) -> Any:
    """What no refused call may change: albums, their items and members, and every photo."""
    return (sorted(Album.objects.values_list("id", "name")),
            sorted(AlbumItem.objects.values_list("album_id", "photo_id")),
            sorted(Photo.objects.values_list("id", "trashed_at")),
            sorted(ShareLink.objects.values_list("key", "allow_download")),
            sorted(Partner.objects.values_list("owner_id", "partner_id", "in_timeline")))


def user_call(scene: Scene, role: str, method: str, path: str, body: Any) -> Any:
    client = Client()
    headers = scene.people[role].auth if role != "anonymous" else {}
    data = scene.fill(json.dumps(body)) if body is not None else ""
    return client.generic(method, "/api/v2" + scene.fill(path), data, "application/json",
                          **headers)


@pytest.mark.parametrize(("method", "path", "body", "expected"), USER_CASES,
                         ids=[f"{m} {p}" for m, p, _, _ in USER_CASES])
def test_album_and_link_management_as_each_user(scene: Scene, method: str, path: str,
                                                body: Any, expected: dict[str, int]) -> None:
    for role in USERS:
        before = snapshot(scene)
        answer = user_call(scene, role, method, path, body)
        seen = answer.content if not answer.streaming else b""
        assert answer.status_code == expected.get(role, expected["other"]), (role, seen[:300])
        if answer.status_code in {401, 404}:
            assert snapshot(scene) == before, role
            assert scene.album.encode() not in seen and scene.photo.encode() not in seen
    # Whoever asked, a contributor never removed the owner's photo, and no photo was trashed.
    assert not Photo.objects.filter(trashed_at__isnull=False).exists()


def guest_call(scene: Scene, role: str, method: str, path: str) -> Any:
    key = scene.links["expired" if role == "expired" else
                      "revoked" if role == "revoked" else "live"]
    headers = {"with_password": {"HTTP_SHARE_PASSWORD": PASSWORD},
               "wrong_password": {"HTTP_SHARE_PASSWORD": "wrong"}}.get(role, {})
    url = f"/api/v2/s/{key}{scene.fill(path)}"
    if method == "POST":
        return Client().post(url, {"file": jpeg_file(40)}, **headers)
    return Client().get(url, **headers)


@pytest.mark.parametrize(("method", "path", "expected"), GUEST_CASES,
                         ids=[f"{m} /s/{{key}}{p}" for m, p, _ in GUEST_CASES])
def test_link_endpoints_as_each_guest(scene: Scene, method: str, path: str,
                                      expected: dict[str, int]) -> None:
    for role in GUESTS:
        before = snapshot(scene)
        answer = guest_call(scene, role, method, path)
        assert answer.status_code == expected[role], (role, answer.content[:300]
                                                      if not answer.streaming else "")
        if answer.status_code >= 400:
            assert snapshot(scene) == before, role
            assert scene.photo.encode() not in answer.content


def test_only_the_partner_who_chose_it_sees_the_owners_photos_in_their_timeline(
        scene: Scene) -> None:
    """The merged timeline (GET /photos, the month pages) shows the owner's photos to the
    partner who turned it on, read-only, and to nobody else in any role."""
    frank = scene.people["partner"]
    assert user_call(scene, "partner", "PATCH", "/partners/alice", {"in_timeline": True}
                     ).status_code == 200
    for role in USERS:
        for path in ("/photos", "/timeline/buckets/" + datetime.now(UTC).strftime("%Y-%m")):
            answer = user_call(scene, role, "GET", path, None)
            if role == "anonymous":
                assert answer.status_code == 401
                continue
            items = {i["id"]: i for i in answer.json()["items"]}
            assert (scene.photo in items) == (role in {"owner", "partner"}), (role, path)
            if role == "partner":
                assert items[scene.photo]["read_only"] and items[scene.photo]["owner"] == "alice"
    # Read-only for him: an action on the owner's photo is not found, and changes nothing.
    before = snapshot(scene)
    for method, path, body in (("DELETE", "/photos/{p}", None),
                               ("PATCH", "/photos/{p}", {"favourite": True}),
                               ("POST", "/photos/bulk", {"ids": ["{p}"], "action": "trash"})):
        answer = user_call(scene, "partner", method, path, body)
        assert answer.status_code == 404 or answer.json()["not_found"] == [scene.photo]
    assert snapshot(scene) == before and frank.user.photos.count() == 0


def test_signed_in_users_are_guests_like_anyone_on_a_link(scene: Scene) -> None:
    """Being a member or the owner gives a link nothing more: the password is still asked."""
    for role in ("viewer", "owner"):
        answer = Client().get(f"/api/v2/s/{scene.links['live']}", **scene.people[role].auth)
        assert answer.status_code == 401
