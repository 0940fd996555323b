"""Live Photos (a still and a MOV paired by Apple's content identifier, in either order) and
Motion Photos (a JPEG with an MP4 inside): one item with ``has_motion`` and a clip at /motion."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from conftest import Persona
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from videos import UUID, apple_maker_note, live_clip, live_still, motion_photo

from imgbackup.imaging.motion import apple_content_identifier, claimed_length
from imgbackup.photos.models import Original, Photo
from imgbackup.photos.trash import purge_expired

API = "/api/v2"


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    from imgbackup.jobs import worker

    # The worker drops connections that left autocommit, as the test's transaction has.
    monkeypatch.setattr(worker, "close_old_connections", lambda: None)


def _send(client: Client, persona: Persona, data: bytes, name: str) -> str:
    sent = client.post(f"{API}/photos", {"file": SimpleUploadedFile(name, data)},
                       **persona.auth)
    assert sent.status_code == 201, sent.content
    return str(sent.json()["items"][0]["id"])


def _items(client: Client, persona: Persona, path: str = "/photos") -> list[dict[str, Any]]:
    return list(client.get(API + path, **persona.auth).json()["items"])


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("still_first", [True, False])
def test_a_live_photo_is_one_item_whichever_half_arrives_first(
        client: Client, alice: Persona, still_first: bool) -> None:
    halves = [("IMG_0001.JPG", live_still()), ("IMG_0001.MOV", live_clip())]
    ids = [_send(client, alice, data, name)
           for name, data in (halves if still_first else halves[::-1])]
    still_id, clip_id = ids if still_first else ids[::-1]
    [item] = _items(client, alice)
    assert item["id"] == still_id
    assert item["has_motion"] is True
    assert item["motion"]["id"] == clip_id
    assert item["motion"]["filename"] == "IMG_0001.MOV"
    assert item["urls"]["motion"] == f"{API}/photos/{still_id}/motion"
    # The clip is still its owner's: its bytes come back, and check knows it.
    assert client.get(f"{API}/photos/{clip_id}/original", **alice.auth).status_code == 200
    check = client.post(f"{API}/photos/check", {"hashes": [clip_id]},
                        content_type="application/json", **alice.auth)
    assert check.json()["present"] == [clip_id]
    # The clip plays through /motion: an HEVC MOV, so through its copy.
    assert client.get(f"{API}/photos/{still_id}/motion", **alice.auth).status_code == 202
    call_command("worker", batch=True)
    played = client.get(f"{API}/photos/{still_id}/motion", **alice.auth)
    assert played.status_code == 200 and played["Content-Type"] == "video/mp4"


def test_halves_of_different_people_are_never_paired(client: Client, alice: Persona,
                                                     bob: Persona) -> None:
    _send(client, alice, live_still(), "a.jpg")
    _send(client, bob, live_clip(), "b.mov")
    [item] = _items(client, alice)
    assert item["has_motion"] is False
    assert [i["media_type"] for i in _items(client, bob)] == ["video"]


def test_the_clip_goes_to_the_trash_back_and_away_with_its_still(client: Client,
                                                                 alice: Persona) -> None:
    still_id = _send(client, alice, live_still(), "a.jpg")
    clip_id = _send(client, alice, live_clip(), "a.mov")
    client.delete(f"{API}/photos/{still_id}", **alice.auth)
    assert [i["id"] for i in _items(client, alice, "/trash")] == [still_id]
    clip = client.get(f"{API}/photos/{clip_id}", **alice.auth).json()
    assert clip["trashed_at"] is not None
    client.post(f"{API}/photos/{still_id}/restore", **alice.auth)
    assert client.get(f"{API}/photos/{clip_id}", **alice.auth).json()["trashed_at"] is None
    client.delete(f"{API}/photos/{still_id}", **alice.auth)
    assert client.delete(f"{API}/trash/{still_id}", **alice.auth).status_code == 204
    assert client.get(f"{API}/photos/{clip_id}", **alice.auth).status_code == 404


def test_a_motion_photo_plays_its_embedded_clip_and_is_kept_whole(client: Client,
                                                                  alice: Persona) -> None:
    data, clip = motion_photo()
    photo_id = _send(client, alice, data, "PXL_20240101_MP.jpg")
    [item] = _items(client, alice)
    assert item["media_type"] == "photo" and item["has_motion"] is True
    assert item["motion"] is None  # no separate file: the clip is inside
    answer = client.get(f"{API}/photos/{photo_id}/motion", **alice.auth)
    assert answer["Content-Type"] == "video/mp4"
    assert _body(answer) == clip
    assert _body(client.get(f"{API}/photos/{photo_id}/original", **alice.auth)) == data


@pytest.mark.parametrize("shift", [10_000_000, 1, -1])
def test_an_offset_that_does_not_point_at_an_mp4_means_no_motion(
        client: Client, alice: Persona, shift: int) -> None:
    data, _ = motion_photo(offset_shift=shift)
    photo_id = _send(client, alice, data, "a.jpg")
    assert _items(client, alice)[0]["has_motion"] is False
    assert client.get(f"{API}/photos/{photo_id}/motion", **alice.auth).status_code == 404


@pytest.mark.parametrize("note", [
    b"", b"Apple iOS\x00", b"Apple iOS\x00\x00\x01II" + bytes(40),
    apple_maker_note(UUID)[:30],  # cut inside the entry
    b"Apple iOS\x00\x00\x01MM\xff\xff" + bytes(12),  # 65535 entries claimed
    apple_maker_note("not a uuid; <script>"),
    b"Apple iOS\x00\x00\x01MM\x00\x01\x00\x11\x00\x02\x00\x00\x00\x30\xff\xff\xff\xff",
])
def test_broken_maker_notes_give_no_identifier(note: bytes) -> None:
    assert apple_content_identifier(note) == ""


def test_a_good_maker_note_and_xmp_forms() -> None:
    assert apple_content_identifier(apple_maker_note(UUID)) == UUID
    assert claimed_length(b'<GCamera:MotionPhoto>1</GCamera:MotionPhoto><Container:Directory>'
                          b'<Container:Item Item:Mime="image/jpeg" Item:Semantic="Primary"/>'
                          b'<Container:Item Item:Mime="video/mp4" Item:Semantic="MotionPhoto"'
                          b' Item:Length="1234"/>') == 1234
    assert claimed_length(b'GCamera:MicroVideoOffset="99"') is None  # not said to be one


def test_sending_a_trashed_still_again_brings_its_clip_back(client: Client,
                                                             alice: Persona) -> None:
    still = live_still(seed=5)
    still_id = _send(client, alice, still, "a.jpg")
    clip_id = _send(client, alice, live_clip(seed=5), "a.mov")
    client.delete(f"{API}/photos/{still_id}", **alice.auth)
    again = client.post(f"{API}/photos", {"file": SimpleUploadedFile("a.jpg", still)},
                        **alice.auth)
    assert again.status_code == 200
    assert client.get(f"{API}/photos/{clip_id}", **alice.auth).json()["trashed_at"] is None
    assert [i["id"] for i in _items(client, alice)] == [still_id]


def _pair(client: Client, persona: Persona, seed: int = 0) -> tuple[str, str]:
    still_id = _send(client, persona, live_still(seed=seed), "IMG_0001.JPG")
    clip_id = _send(client, persona, live_clip(seed=seed), "IMG_0001.MOV")
    return still_id, clip_id


def _trashed(client: Client, persona: Persona, *ids: str) -> list[bool]:
    return [client.get(f"{API}/photos/{i}", **persona.auth).json()["trashed_at"] is not None
            for i in ids]


def test_either_half_named_trashes_and_restores_the_whole_live_photo(
        client: Client, alice: Persona) -> None:
    """The timeline shows one item: the clip's own id (a client that kept it from the upload's
    answer, the original API's md5) moves both halves, as the still's id does."""
    still_id, clip_id = _pair(client, alice)
    assert client.delete(f"{API}/photos/{clip_id}", **alice.auth).status_code == 200
    assert _trashed(client, alice, still_id, clip_id) == [True, True]
    assert [i["id"] for i in _items(client, alice, "/trash")] == [still_id]
    assert client.post(f"{API}/photos/{clip_id}/restore", **alice.auth).status_code == 200
    assert _trashed(client, alice, still_id, clip_id) == [False, False]
    assert [i["id"] for i in _items(client, alice)] == [still_id]
    clip = Photo.objects.get(original_id=clip_id)
    gone = client.delete(f"/api/v1.0/service/image/?md5={clip.original.md5}", **alice.auth)
    assert gone.json()["result_code"] == 0
    assert _trashed(client, alice, still_id, clip_id) == [True, True]


def test_destroying_the_clip_by_its_id_destroys_the_live_photo(client: Client,
                                                               alice: Persona) -> None:
    still_id, clip_id = _pair(client, alice)
    client.delete(f"{API}/photos/{still_id}", **alice.auth)
    assert client.delete(f"{API}/trash/{clip_id}", **alice.auth).status_code == 204
    for gone in (still_id, clip_id):
        assert client.get(f"{API}/photos/{gone}", **alice.auth).status_code == 404
    assert not Original.objects.filter(sha256__in=[still_id, clip_id]).exists()


@pytest.mark.parametrize("named", ["still", "clip", "both"])
def test_bulk_actions_move_and_destroy_the_pair_whichever_half_is_named(
        client: Client, alice: Persona, named: str) -> None:
    still_id, clip_id = _pair(client, alice)
    ids = {"still": [still_id], "clip": [clip_id], "both": [still_id, clip_id]}[named]

    def bulk(action: str) -> dict[str, Any]:
        answer = client.post(f"{API}/photos/bulk", {"ids": ids, "action": action},
                             content_type="application/json", **alice.auth)
        assert answer.status_code == 200, answer.content
        return dict(answer.json())

    assert bulk("trash")["done"] == ids
    assert _trashed(client, alice, still_id, clip_id) == [True, True]
    bulk("restore")
    assert _trashed(client, alice, still_id, clip_id) == [False, False]
    bulk("trash")
    bulk("destroy")
    assert not Photo.objects.filter(original_id__in=[still_id, clip_id]).exists()


@pytest.mark.parametrize("named", ["still", "both"])
def test_the_zip_of_a_live_photo_holds_both_files_once(client: Client, alice: Persona,
                                                       named: str) -> None:
    still_id, clip_id = _pair(client, alice)
    ids = [still_id] if named == "still" else [clip_id, still_id]
    answer = client.post(f"{API}/photos/zip", {"ids": ids}, content_type="application/json",
                         **alice.auth)
    archive = zipfile.ZipFile(io.BytesIO(_body(answer)))
    names = ["IMG_0001.JPG", "IMG_0001.MOV"] if named == "still" else [
        "IMG_0001.MOV", "IMG_0001.JPG"]
    assert archive.namelist() == names
    assert archive.read("IMG_0001.MOV") == live_clip()
    assert archive.read("IMG_0001.JPG") == live_still()


def test_the_purge_destroys_a_live_photo_once_and_whole(client: Client, alice: Persona) -> None:
    still_id, clip_id = _pair(client, alice)
    client.delete(f"{API}/photos/{clip_id}", **alice.auth)
    assert purge_expired(now=timezone.now() + timedelta(days=365)) == 1
    assert not Photo.objects.filter(original_id__in=[still_id, clip_id]).exists()


def test_a_live_photo_is_one_album_item_whichever_half_is_added(client: Client,
                                                                alice: Persona) -> None:
    """`imgbackup push --album` names both files of the pair: the album showed the MOV as a
    second item (and counted it) though the timeline shows one."""
    still_id = _send(client, alice, live_still(), "IMG_0001.JPG")
    clip_id = _send(client, alice, live_clip(), "IMG_0001.MOV")
    both = client.post(f"{API}/albums", {"name": "Both"}, "application/json",
                       **alice.auth).json()["id"]
    added = client.post(f"{API}/albums/{both}/photos", {"ids": [still_id, clip_id]},
                        "application/json", **alice.auth)
    assert added.json() == {"done": [still_id, clip_id], "not_found": []}
    album = client.get(f"{API}/albums/{both}", **alice.auth).json()
    assert (album["count"], [i["id"] for i in album["items"]]) == (1, [still_id])
    assert [a["count"] for a in _items(client, alice, "/albums")] == [1]
    clip_only = client.post(f"{API}/albums", {"name": "Clip"}, "application/json",
                            **alice.auth).json()["id"]
    client.post(f"{API}/albums/{clip_only}/photos", {"ids": [clip_id]}, "application/json",
                **alice.auth)
    assert [i["id"] for i in _items(client, alice, f"/albums/{clip_only}")] == [still_id]
