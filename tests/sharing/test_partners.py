"""Partner sharing: a user lets another see their whole timeline, read-only, and either ends it."""

from __future__ import annotations

from conftest import Persona
from django.test import Client

from api_v2.conftest import call, upload


def test_a_partner_sees_the_whole_timeline_read_only(client: Client, alice: Persona,
                                                     bob: Persona, carol: Persona) -> None:
    photos = upload(client, alice, 1, 2, 3)
    assert call(client, "GET", "/partners/alice/photos", bob).status_code == 404
    made = call(client, "POST", "/partners", alice, {"username": "bob"})
    assert made.status_code == 201, made.content
    assert [p["username"] for p in call(client, "GET", "/partners", bob)
            .json()["shared_with_me"]] == ["alice"]
    call(client, "DELETE", f"/photos/{photos[2]}", alice)  # the trash is not shared
    seen = call(client, "GET", "/partners/alice/photos?limit=1", bob).json()
    assert len(seen["items"]) == 1 and seen["next_cursor"]
    rest = call(client, "GET", f"/partners/alice/photos?cursor={seen['next_cursor']}", bob)
    ids = [p["id"] for p in seen["items"] + rest.json()["items"]]
    assert sorted(ids) == sorted(photos[:2])
    item = seen["items"][0]
    for kind in ("original", "thumbnail", "preview"):
        assert client.get(item["urls"][kind], **bob.auth).status_code == 200
    trashed = f"/api/v2/partners/alice/photos/{photos[2]}/thumbnail"
    assert client.get(trashed, **bob.auth).status_code == 404
    # Not a way around: bob still cannot touch alice's photos, carol sees nothing.
    assert call(client, "DELETE", f"/photos/{photos[0]}", bob).status_code == 404
    assert call(client, "GET", "/partners/alice/photos", carol).status_code == 404
    assert client.get(item["urls"]["thumbnail"], **carol.auth).status_code == 404
    # Either side ends it.
    assert call(client, "DELETE", "/partners/alice", bob).status_code == 204
    assert call(client, "GET", "/partners/alice/photos", bob).status_code == 404
    assert call(client, "DELETE", "/partners/bob", alice).status_code == 404


def test_partner_sharing_goes_one_way(client: Client, alice: Persona, bob: Persona) -> None:
    upload(client, bob, 7)
    call(client, "POST", "/partners", alice, {"username": "bob"})
    assert call(client, "GET", "/partners/bob/photos", alice).status_code == 404


def test_a_partner_must_be_another_existing_user(client: Client, alice: Persona) -> None:
    for name in ("alice", "nobody"):
        assert call(client, "POST", "/partners", alice, {"username": name}).status_code == 404
    assert call(client, "POST", "/partners", alice, {"username": ""}).status_code == 400
