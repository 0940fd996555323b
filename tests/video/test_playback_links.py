"""Signed playback URLs (imgbackup/api/v2/playback_links.py): a video played without an
Authorization header, for its owner only, until the link expires, and never once changed."""

from __future__ import annotations

from typing import Any

import pytest
import videos
from conftest import Persona, make_jpeg
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from imgbackup.api.v2 import playback_links
from imgbackup.photos.models import Photo
from imgbackup.photos.trash import destroy

API = "/api/v2"


def _send(client: Client, persona: Persona, data: bytes, name: str) -> str:
    sent = client.post(f"{API}/photos", {"file": SimpleUploadedFile(name, data)},
                       **persona.auth)
    assert sent.status_code == 201, sent.content
    return str(sent.json()["items"][0]["id"])


def _link(client: Client, persona: Persona, photo_id: str) -> dict[str, Any]:
    answer = client.get(f"{API}/photos/{photo_id}/playback-url", **persona.auth)
    assert answer.status_code == 200, answer.content
    assert answer["Cache-Control"] == "no-store"
    body: dict[str, Any] = answer.json()
    return body


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def clip(client: Client, alice: Persona) -> tuple[str, bytes]:
    data = videos.make_video("mp4", seed=21)
    return _send(client, alice, data, "clip.mp4"), data


def test_the_owner_gets_a_link_that_plays_without_a_header_and_seeks(
        client: Client, alice: Persona, clip: tuple[str, bytes]) -> None:
    photo_id, data = clip
    link = _link(client, alice, photo_id)
    assert link["url"].startswith("/api/v2/play/")
    whole = Client().get(link["url"])  # no token, no session
    assert whole.status_code == 200
    assert whole["Content-Type"] == "video/mp4"
    assert _body(whole) == data
    part = Client().get(link["url"], HTTP_RANGE="bytes=10-109")
    assert part.status_code == 206 and _body(part) == data[10:110]


def test_it_lasts_ten_minutes_plus_the_videos_duration(
        client: Client, alice: Persona, clip: tuple[str, bytes],
        monkeypatch: pytest.MonkeyPatch) -> None:
    photo_id, _ = clip
    photo = Photo.objects.get(original_id=photo_id)
    assert photo.duration and photo.duration > 0.5
    now = 1_800_000_000.0
    monkeypatch.setattr(playback_links.time, "time", lambda: now)
    url = _link(client, alice, photo_id)["url"]
    lasts = playback_links.valid_for(photo)
    assert lasts == 600 + int(photo.duration)
    monkeypatch.setattr(playback_links.time, "time", lambda: now + lasts - 1)
    assert Client().get(url).status_code == 200
    monkeypatch.setattr(playback_links.time, "time", lambda: now + lasts)
    expired = Client().get(url)
    assert expired.status_code == 410
    assert expired.json()["error"]["code"] == "gone"


def test_a_days_long_duration_is_capped(alice: Persona) -> None:
    photo = Photo(duration=10 * 24 * 3600.0)
    assert playback_links.valid_for(photo) == playback_links.MAX_VALID


def test_a_changed_or_forged_link_is_404(client: Client, alice: Persona, bob: Persona,
                                         clip: tuple[str, bytes]) -> None:
    photo_id, _ = clip
    url = _link(client, alice, photo_id)["url"]
    token = url.rsplit("/", 1)[1]
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    expires = 4_000_000_000
    forged = [
        flipped,
        token.replace(":", ";", 1),
        # Right claims, another key or another salt: not this server's link for this purpose.
        signing.dumps({"u": alice.user.pk, "p": photo_id, "e": expires}, key="not-the-key",
                      salt=playback_links.SALT),
        signing.dumps({"u": alice.user.pk, "p": photo_id, "e": expires}, salt="other"),
        # Signed right but the claims are not what a link holds.
        signing.dumps({"u": alice.user.pk, "p": photo_id}, salt=playback_links.SALT),
        signing.dumps(["x"], salt=playback_links.SALT),
        "",
        "a" * 3000,
    ]
    for bad in forged:
        answer = Client().get(f"{API}/play/{bad}")
        assert answer.status_code == 404, (bad, answer.status_code)
        assert answer.json()["error"]["code"] == "not_found"


def test_a_link_is_scoped_to_its_user_and_photo(client: Client, alice: Persona, bob: Persona,
                                                clip: tuple[str, bytes]) -> None:
    photo_id, data = clip
    # Bob cannot get a link to Alice's video, and anonymous callers none at all.
    assert client.get(f"{API}/photos/{photo_id}/playback-url", **bob.auth).status_code == 404
    assert client.get(f"{API}/photos/{photo_id}/playback-url").status_code == 401
    # A link that names Bob with Alice's photo (as if Bob had one for the same bytes): 404.
    as_bob = playback_links.sign(bob.user.pk, photo_id, 4_000_000_000)
    assert Client().get(f"{API}/play/{as_bob}").status_code == 404
    # Once Bob has the same bytes, his own link plays his copy.
    _send(client, bob, data, "same.mp4")
    assert Client().get(f"{API}/play/{as_bob}").status_code == 200


def test_photos_have_no_playback_link(client: Client, alice: Persona) -> None:
    photo = _send(client, alice, make_jpeg(31), "a.jpg")
    assert client.get(f"{API}/photos/{photo}/playback-url", **alice.auth).status_code == 404
    signed = playback_links.sign(alice.user.pk, photo, 4_000_000_000)
    assert Client().get(f"{API}/play/{signed}").status_code == 404


def test_a_disabled_user_or_a_destroyed_video_ends_the_link(
        client: Client, alice: Persona, clip: tuple[str, bytes]) -> None:
    photo_id, _ = clip
    url = _link(client, alice, photo_id)["url"]
    alice.user.is_active = False
    alice.user.save()
    assert Client().get(url).status_code == 404
    alice.user.is_active = True
    alice.user.save()
    assert Client().get(url).status_code == 200
    destroy(Photo.objects.get(original_id=photo_id))
    assert Client().get(url).status_code == 404


def test_a_video_whose_copy_is_being_made_answers_202(client: Client, alice: Persona) -> None:
    clip = _send(client, alice, videos.make_video("mov", seed=22), "clip.mov")  # HEVC
    waiting = client.get(f"{API}/photos/{clip}/playback-url", **alice.auth)
    assert waiting.status_code == 202
    assert waiting.json()["status"] == "pending"
