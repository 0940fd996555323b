"""Partner photos merged into one's own timeline: the receiving partner's choice, read-only,
marked as the partner's, with one cursor across owners and the list's filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from conftest import Persona
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from api_v2.conftest import call, upload
from api_v2.rows import photo_row

T0 = datetime(2024, 5, 31, 12, 0, tzinfo=UTC)


def share_timeline(client: Client, owner: Persona, partner: Persona, show: bool = True) -> None:
    made = call(client, "POST", "/partners", owner, {"username": partner.user.username})
    assert made.status_code == 201, made.content
    if show:
        shown = call(client, "PATCH", f"/partners/{owner.user.username}", partner,
                     {"in_timeline": True})
        assert shown.status_code == 200, shown.content
        assert shown.json()["in_timeline"] is True


def every_page(client: Client, persona: Persona, path: str, limit: int = 2) -> list[Any]:
    items: list[Any] = []
    cursor = ""
    while True:
        sep = "&" if "?" in path else "?"
        answer = call(client, "GET", f"{path}{sep}limit={limit}{cursor}", persona)
        assert answer.status_code == 200, answer.content
        items += answer.json()["items"]
        if not answer.json()["next_cursor"]:
            return items
        cursor = f"&cursor={answer.json()['next_cursor']}"


def counts(buckets: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return [(b["month"], b["count"]) for b in buckets]


def interleaved(alice: Persona, bob: Persona) -> None:
    """Bob's photos on days 0, 2, 4, ...; alice's on 1, 3, 5 ...; one picture both hold."""
    for n in range(6):
        photo_row(bob.user if n % 2 == 0 else alice.user, n, T0 - timedelta(days=n),
                  camera_make="Canon" if n < 3 else "Sony", camera_model="X",
                  camera_key="canon x" if n < 3 else "sony x")
    photo_row(bob.user, 1, T0 - timedelta(days=1))  # alice's bytes of photo 1, bob's copy


def test_only_the_receiving_partner_chooses_to_merge(client: Client, alice: Persona,
                                                     bob: Persona) -> None:
    upload(client, alice, 1)
    call(client, "POST", "/partners", alice, {"username": "bob"})
    listed = call(client, "GET", "/partners", bob).json()["shared_with_me"]
    assert [(p["username"], p["in_timeline"]) for p in listed] == [("alice", False)]
    assert call(client, "GET", "/photos", bob).json()["items"] == []  # off by default
    # The owner cannot push their timeline into bob's; a stranger's name is not found.
    assert call(client, "PATCH", "/partners/bob", alice, {"in_timeline": True}).status_code == 404
    assert call(client, "PATCH", "/partners/nobody", bob, {"in_timeline": True}
                ).status_code == 404
    for bad in ({"in_timeline": "yes"}, {}, {"in_timeline": True, "extra": 1}):
        assert call(client, "PATCH", "/partners/alice", bob, bad).status_code == 400
    assert call(client, "GET", "/photos", bob).json()["items"] == []
    assert call(client, "PATCH", "/partners/alice", bob, {"in_timeline": True}).status_code == 200
    assert len(call(client, "GET", "/photos", bob).json()["items"]) == 1
    call(client, "PATCH", "/partners/alice", bob, {"in_timeline": False})
    assert call(client, "GET", "/photos", bob).json()["items"] == []


def test_the_merged_list_pages_across_owners_newest_first(client: Client, alice: Persona,
                                                          bob: Persona) -> None:
    interleaved(alice, bob)
    share_timeline(client, bob, alice)
    items = every_page(client, alice, "/photos")
    # Photo 1 once: alice's own copy, not bob's.
    assert [i["filename"] for i in items] == [f"IMG_{n:05d}.JPG" for n in range(6)]
    assert [i["owner"] for i in items] == ["bob", "alice"] * 3
    assert [i["read_only"] for i in items] == [True, False] * 3
    theirs = items[0]
    assert theirs["urls"]["thumbnail"] == f"/api/v2/partners/bob/photos/{theirs['id']}/thumbnail"
    assert items[1]["urls"]["thumbnail"] == f"/api/v2/photos/{items[1]['id']}/thumbnail"
    # Filters apply to both owners; favourites are alice's own marks only.
    canon = every_page(client, alice, "/photos?camera=canon")
    assert [i["filename"][-9:-4] for i in canon] == ["00000", "00001", "00002"]
    since = every_page(client, alice, f"/photos?since={(T0 - timedelta(days=1)).date()}")
    assert [i["owner"] for i in since] == ["bob", "alice"]
    assert all(i["owner"] == "alice" for i in every_page(client, alice, "/photos?favourite=false"))
    # partners=false: alice's own only (what the CLI asks for), buckets too.
    own = every_page(client, alice, "/photos?partners=false")
    assert [i["owner"] for i in own] == ["alice"] * 3
    kept = call(client, "GET", "/timeline/buckets?partners=false", alice).json()["buckets"]
    assert counts(kept) == [("2024-05", 3)]
    assert call(client, "GET", "/photos?partners=maybe", alice).status_code == 400
    # Bob chose nothing: his own timeline stays his.
    assert {i["owner"] for i in every_page(client, bob, "/photos")} == {"bob"}


def test_buckets_and_months_merge_the_partners_photos(client: Client, alice: Persona,
                                                      bob: Persona) -> None:
    interleaved(alice, bob)
    photo_row(bob.user, 9, T0 - timedelta(days=40))  # April: bob's only
    share_timeline(client, bob, alice)
    buckets = call(client, "GET", "/timeline/buckets", alice).json()["buckets"]
    # The kept counts add up both owners' rows: the picture both hold counts twice there.
    assert counts(buckets) == [("2024-05", 7), ("2024-04", 1)]
    # And the versions: a change of either owner's month changes the merged one's.
    own = {who.user.username: {b["month"]: b["version"] for b in call(
        client, "GET", "/timeline/buckets?partners=false", who).json()["buckets"]}
        for who in (alice, bob)}
    assert [b["version"] for b in buckets] == [
        own["alice"]["2024-05"] + own["bob"]["2024-05"], own["bob"]["2024-04"]]
    may = every_page(client, alice, "/timeline/buckets/2024-05", limit=4)
    assert len(may) == 6 and may[0]["owner"] == "bob" and may[0]["aspect"] is None
    april = call(client, "GET", "/timeline/buckets/2024-04", alice).json()["items"]
    assert [(i["owner"], i["read_only"]) for i in april] == [("bob", True)]
    # A filter counts what the list finds.
    counted = call(client, "GET", "/timeline/buckets?camera=sony", alice).json()["buckets"]
    assert counts(counted) == [("2024-05", 3)]
    fav = call(client, "GET", "/timeline/buckets?favourite=false", alice).json()["buckets"]
    assert counts(fav) == [("2024-05", 3)]


def test_a_partners_photo_in_the_timeline_is_read_only(client: Client, alice: Persona,
                                                       bob: Persona) -> None:
    (theirs,) = upload(client, bob, 5)
    (mine,) = upload(client, alice, 6)
    call(client, "PATCH", f"/photos/{theirs}", bob, {"favourite": True})
    share_timeline(client, bob, alice)
    item = next(i for i in call(client, "GET", "/photos", alice).json()["items"]
                if i["id"] == theirs)
    assert item["favourite"] is False  # bob's mark, not alice's
    for url in item["urls"].values():
        assert client.get(url, **alice.auth).status_code == 200
    assert call(client, "PATCH", f"/photos/{theirs}", alice, {"favourite": True}
                ).status_code == 404
    assert call(client, "DELETE", f"/photos/{theirs}", alice).status_code == 404
    for action in ("trash", "favourite", "unfavourite", "restore", "destroy"):
        answer = call(client, "POST", "/photos/bulk", alice,
                      {"ids": [theirs, mine], "action": action}).json()
        assert theirs in answer["not_found"], action
    answer = call(client, "GET", f"/photos/{theirs}", bob).json()
    assert answer["trashed_at"] is None and answer["favourite"] is True
    # Bob's trash leaves alice's timeline; ending the sharing takes the rest away.
    call(client, "DELETE", f"/photos/{theirs}", bob)
    assert [i["id"] for i in call(client, "GET", "/photos", alice).json()["items"]] == [mine]
    call(client, "POST", f"/photos/{theirs}/restore", bob)
    call(client, "DELETE", "/partners/alice", bob)
    assert [i["id"] for i in call(client, "GET", "/photos", alice).json()["items"]] == [mine]
    buckets = call(client, "GET", "/timeline/buckets", alice).json()["buckets"]
    assert sum(b["count"] for b in buckets) == 1


def test_a_partners_video_plays_in_the_merged_timeline(client: Client, alice: Persona,
                                                       bob: Persona) -> None:
    import videos

    data = videos.make_video("mp4", seed=3)
    sent = client.post("/api/v2/photos", {"file": SimpleUploadedFile(
        "clip.mp4", data, "video/mp4")}, **bob.auth)
    clip = sent.json()["items"][0]["id"]
    share_timeline(client, bob, alice)
    (item,) = call(client, "GET", "/photos", alice).json()["items"]
    base = f"/api/v2/partners/bob/photos/{clip}"
    assert item["urls"] == {kind: f"{base}/{kind}"
                            for kind in ("original", "thumbnail", "preview", "playback")}
    played = client.get(item["urls"]["playback"], **alice.auth)
    assert played.status_code == 200 and played["Content-Type"] == "video/mp4"
    assert b"".join(played.streaming_content) == data
    # A photo has neither: 404, as for one's own.
    (photo,) = upload(client, bob, 4)
    for kind in ("playback", "motion"):
        assert client.get(f"/api/v2/partners/bob/photos/{photo}/{kind}",
                          **alice.auth).status_code == 404
    assert Client().get(f"{base}/playback").status_code == 401


def test_the_cli_lists_only_the_users_own_photos(alice: Persona, bob: Persona,
                                                 client: Client) -> None:
    """The CLI's list (ls, pull, rm) is one's backup: a partner's photo merged into the
    timeline is never in it (its original is not the caller's to pull or remove)."""
    import httpx

    from imgbackup.client._api import Api

    def through_django(request: httpx.Request) -> httpx.Response:
        url = f"{request.url.path}?{request.url.query.decode()}"
        answer = client.generic(request.method, url, request.content,
                                HTTP_AUTHORIZATION=request.headers["authorization"])
        return httpx.Response(answer.status_code, content=answer.content,
                              headers={"content-type": answer["Content-Type"]})

    upload(client, bob, 11)
    (mine,) = upload(client, alice, 12)
    share_timeline(client, bob, alice)
    assert len(call(client, "GET", "/photos", alice).json()["items"]) == 2
    token = alice.auth["HTTP_AUTHORIZATION"].removeprefix("Bearer ")
    api = Api("http://testserver", token, transport=httpx.MockTransport(through_django))
    assert [p["id"] for p in api.photos()] == [mine]
