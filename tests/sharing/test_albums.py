"""Albums: create, change, add and remove photos, members and their roles, trash and restore."""

from __future__ import annotations

import pytest
from conftest import Persona
from django.test import Client

from api_v2.conftest import call, upload
from sharing.conftest import make_album, share_with


def ids_in(client: Client, album_id: str, who: Persona) -> list[str]:
    answer = call(client, "GET", f"/albums/{album_id}", who)
    assert answer.status_code == 200, answer.content
    return [item["id"] for item in answer.json()["items"]]


def test_an_album_holds_photos_without_owning_them(client: Client, alice: Persona) -> None:
    photos = upload(client, alice, 1, 2, 3)
    album_id = make_album(client, alice, "Summer", photos[:2])
    assert len(album_id) >= 16 and not album_id.isdigit()
    other = make_album(client, alice, "Best", photos[:1])  # a photo in two albums
    assert sorted(ids_in(client, album_id, alice)) == sorted(photos[:2])
    assert ids_in(client, other, alice) == photos[:1]

    listed = call(client, "GET", "/albums", alice).json()["items"]
    assert {(a["name"], a["count"], a["role"]) for a in listed} == {
        ("Summer", 2, "owner"), ("Best", 1, "owner")}

    gone = call(client, "DELETE", f"/albums/{album_id}/photos", alice, {"ids": photos[:1]})
    assert gone.json() == {"done": photos[:1], "not_found": []}
    assert call(client, "DELETE", f"/albums/{album_id}", alice).status_code == 204
    assert call(client, "GET", f"/albums/{album_id}", alice).status_code == 404
    timeline = call(client, "GET", "/photos", alice).json()["items"]
    assert len(timeline) == 3  # the photos stay
    assert ids_in(client, other, alice) == photos[:1]


def test_trash_hides_a_photo_from_its_albums_and_restore_brings_it_back(
        client: Client, alice: Persona) -> None:
    photos = upload(client, alice, 1, 2)
    album_id = make_album(client, alice, ids=photos)
    call(client, "DELETE", f"/photos/{photos[0]}", alice)
    assert ids_in(client, album_id, alice) == photos[1:]
    assert call(client, "GET", "/albums", alice).json()["items"][0]["count"] == 1
    call(client, "POST", f"/photos/{photos[0]}/restore", alice)
    assert sorted(ids_in(client, album_id, alice)) == sorted(photos)
    call(client, "DELETE", f"/photos/{photos[0]}", alice)
    call(client, "DELETE", f"/trash/{photos[0]}", alice)  # destroyed: out of the album for good
    assert ids_in(client, album_id, alice) == photos[1:]


def test_the_owner_renames_describes_covers_and_orders(client: Client, alice: Persona) -> None:
    photos = upload(client, alice, 1, 2, 3)
    album_id = make_album(client, alice, ids=photos)
    answer = call(client, "PATCH", f"/albums/{album_id}", alice, {
        "name": "Renamed", "description": "by the sea", "cover": photos[1],
        "order": "manual", "manual_order": [photos[2], photos[0], photos[1]]})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["name"], body["description"], body["cover"]) == ("Renamed", "by the sea",
                                                                 photos[1])
    assert [i["id"] for i in body["items"]] == [photos[2], photos[0], photos[1]]
    assert client.get(body["cover_url"], **alice.auth).status_code == 200
    call(client, "DELETE", f"/albums/{album_id}/photos", alice, {"ids": [photos[1]]})
    assert call(client, "GET", f"/albums/{album_id}", alice).json()["cover"] is None


def test_an_album_without_a_chosen_cover_shows_its_first_photo(
        client: Client, alice: Persona) -> None:
    """The web app has no cover picker: without this every album card said "No cover"."""
    photos = upload(client, alice, 1, 2)
    album_id = make_album(client, alice, ids=photos)
    first = ids_in(client, album_id, alice)[0]
    listed = call(client, "GET", "/albums", alice).json()["items"][0]
    assert listed["cover"] is None  # none chosen
    assert listed["cover_url"] == f"/api/v2/albums/{album_id}/photos/{first}/thumbnail"
    assert client.get(listed["cover_url"], **alice.auth).status_code == 200
    call(client, "DELETE", f"/photos/{first}", alice)  # the trash is no cover
    second = ids_in(client, album_id, alice)[0]
    assert call(client, "GET", f"/albums/{album_id}", alice).json()["cover_url"].endswith(
        f"/photos/{second}/thumbnail")
    empty = make_album(client, alice, "Empty")
    assert call(client, "GET", f"/albums/{empty}", alice).json()["cover_url"] is None


@pytest.mark.parametrize("body", [
    {"name": ""}, {"name": 5}, {"order": "random"}, {"cover": 3},
    {"manual_order": []}, {"colour": "red"}, {"name": "x\x00y"},
])
def test_bad_changes_are_400_and_change_nothing(client: Client, alice: Persona,
                                               body: dict[str, object]) -> None:
    album_id = make_album(client, alice, "Kept")
    answer = call(client, "PATCH", f"/albums/{album_id}", alice, body)
    assert answer.status_code == 400, answer.content
    assert answer.json()["error"]["code"] == "bad_request"
    assert call(client, "GET", f"/albums/{album_id}", alice).json()["name"] == "Kept"


def test_a_cover_must_be_in_the_album(client: Client, alice: Persona) -> None:
    outside = upload(client, alice, 1)
    album_id = make_album(client, alice)
    answer = call(client, "PATCH", f"/albums/{album_id}", alice, {"cover": outside[0]})
    assert answer.status_code == 404
    assert call(client, "GET", f"/albums/{album_id}", alice).json()["cover"] is None


def test_a_user_adds_only_their_own_photos(client: Client, alice: Persona, bob: Persona) -> None:
    bobs = upload(client, bob, 9)
    album_id = make_album(client, alice)
    answer = call(client, "POST", f"/albums/{album_id}/photos", alice, {"ids": bobs})
    assert answer.json() == {"done": [], "not_found": bobs}
    assert ids_in(client, album_id, alice) == []


@pytest.mark.parametrize("ids", [[], "abc", [1, 2], ["a"] * 5001])
def test_a_list_of_ids_that_does_not_parse_is_a_400(client: Client, alice: Persona,
                                                    ids: object) -> None:
    album_id = make_album(client, alice)
    for method, path, body in (("POST", f"/albums/{album_id}/photos", {"ids": ids}),
                               ("PATCH", f"/albums/{album_id}", {"manual_order": ids}),
                               ("POST", "/shares", {"ids": ids})):
        answer = call(client, method, path, alice, body)
        assert answer.status_code == 400, (path, answer.content)
        assert answer.json()["error"]["code"] == "bad_request"


def test_ids_are_taken_once_whatever_their_case(client: Client, alice: Persona) -> None:
    photo = upload(client, alice, 4)[0]
    album_id = make_album(client, alice)
    answer = call(client, "POST", f"/albums/{album_id}/photos", alice,
                  {"ids": [photo.upper(), photo]})
    assert answer.json() == {"done": [photo], "not_found": []}


def test_a_viewer_sees_and_downloads_but_changes_nothing(client: Client, alice: Persona,
                                                         bob: Persona) -> None:
    photos = upload(client, alice, 1)
    bobs = upload(client, bob, 2)
    album_id = make_album(client, alice, ids=photos)
    share_with(client, alice, album_id, bob, "viewer")
    listed = call(client, "GET", "/albums", bob).json()["items"]
    assert [(a["id"], a["role"], a["owner"]) for a in listed] == [(album_id, "viewer", "alice")]
    item = call(client, "GET", f"/albums/{album_id}", bob).json()["items"][0]
    for kind in ("original", "thumbnail", "preview"):
        assert client.get(item["urls"][kind], **bob.auth).status_code == 200
    assert client.get(f"/api/v2/photos/{photos[0]}", **bob.auth).status_code == 404
    for method, path, body in [
        ("POST", f"/albums/{album_id}/photos", {"ids": bobs}),
        ("DELETE", f"/albums/{album_id}/photos", {"ids": photos}),
        ("PATCH", f"/albums/{album_id}", {"name": "mine now"}),
        ("DELETE", f"/albums/{album_id}", None),
        ("POST", f"/albums/{album_id}/members", {"username": "bob", "role": "contributor"}),
        ("POST", "/shares", {"album": album_id}),
    ]:
        assert call(client, method, path, bob, body).status_code == 404, (method, path)
    assert ids_in(client, album_id, alice) == photos
    # A member may leave.
    assert call(client, "DELETE", f"/albums/{album_id}/members/bob", bob).status_code == 204
    assert call(client, "GET", f"/albums/{album_id}", bob).status_code == 404


def test_a_contributor_adds_and_removes_only_their_own(client: Client, alice: Persona,
                                                       bob: Persona, carol: Persona) -> None:
    photos = upload(client, alice, 1)
    bobs = upload(client, bob, 2)
    album_id = make_album(client, alice, ids=photos)
    share_with(client, alice, album_id, bob, "contributor")
    share_with(client, alice, album_id, carol, "viewer")
    added = call(client, "POST", f"/albums/{album_id}/photos", bob, {"ids": bobs + photos})
    assert added.json() == {"done": bobs, "not_found": photos}
    removed = call(client, "DELETE", f"/albums/{album_id}/photos", bob, {"ids": photos})
    assert removed.json() == {"done": [], "not_found": photos}
    assert sorted(ids_in(client, album_id, carol)) == sorted(photos + bobs)
    owners = {i["id"]: i["owner"] for i in
              call(client, "GET", f"/albums/{album_id}", carol).json()["items"]}
    assert owners == {photos[0]: "alice", bobs[0]: "bob"}
    assert call(client, "DELETE", f"/albums/{album_id}/members/carol", bob).status_code == 404
    # The owner may take the contributor's photo out of the album, never out of their library.
    call(client, "DELETE", f"/albums/{album_id}/photos", alice, {"ids": bobs})
    assert ids_in(client, album_id, alice) == photos
    assert call(client, "GET", f"/photos/{bobs[0]}", bob).json()["trashed_at"] is None


def test_the_owner_revokes_a_member(client: Client, alice: Persona, bob: Persona) -> None:
    album_id = make_album(client, alice)
    share_with(client, alice, album_id, bob, "viewer")
    assert call(client, "GET", f"/albums/{album_id}", alice).json()["members"] == [
        {"username": "bob", "role": "viewer"}]
    assert call(client, "DELETE", f"/albums/{album_id}/members/bob", alice).status_code == 204
    assert call(client, "GET", f"/albums/{album_id}", bob).status_code == 404
    assert call(client, "GET", "/albums", bob).json()["items"] == []


@pytest.mark.parametrize("body", [
    {"username": "nobody", "role": "viewer"}, {"username": "alice", "role": "viewer"},
])
def test_members_must_be_other_existing_users(client: Client, alice: Persona,
                                              body: dict[str, str]) -> None:
    album_id = make_album(client, alice)
    assert call(client, "POST", f"/albums/{album_id}/members", alice, body).status_code == 404


def test_a_bad_role_is_400(client: Client, alice: Persona, bob: Persona) -> None:
    album_id = make_album(client, alice)
    answer = call(client, "POST", f"/albums/{album_id}/members", alice,
                  {"username": "bob", "role": "owner"})
    assert answer.status_code == 400
