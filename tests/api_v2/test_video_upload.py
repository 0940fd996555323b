"""Videos on every upload path of the server: kept byte for byte, served with their real type,
described in the list; hostile ones refused or kept without a poster, never a 500."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest
import videos
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from api_v2.conftest import API, call, jpeg_file
from conftest import Persona

V1 = "/api/v1.0/service/image/"


def _file(data: bytes, name: str = "clip.mp4") -> SimpleUploadedFile:
    # The client's Content-Type is wrong on purpose: the bytes decide.
    return SimpleUploadedFile(name, data, "application/octet-stream")


def _bytes(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def test_a_video_is_kept_byte_for_byte_and_served_with_its_type(client: Client,
                                                                alice: Persona) -> None:
    data = videos.make_video("mov", rotate=-90, tags=videos.APPLE_TAGS)
    sent = client.post(f"{API}/photos", {"file": _file(data, "IMG_0001.MOV")}, **alice.auth)
    assert sent.status_code == 201, sent.content
    item = sent.json()["items"][0]["photo"]
    assert item["id"] == hashlib.sha256(data).hexdigest()
    assert item["media_type"] == "video"
    assert item["content_type"] == "video/quicktime"
    assert item["duration"] == pytest.approx(1.0, abs=0.05)
    assert (item["width"], item["height"]) == (48, 64)  # as displayed: turned upright
    assert item["video"] == {"fps": 10.0, "video_codec": "hevc", "audio_codec": "aac"}
    assert datetime.fromisoformat(item["taken_at"]) == datetime(2023, 6, 1, 10, 34, 56,
                                                                tzinfo=UTC)
    assert item["taken_at_source"] == "exif"
    assert (item["camera_make"], item["camera_model"]) == ("Apple", "iPhone 12")
    assert (item["latitude"], item["longitude"]) == (48.8584, 2.2945)
    original = client.get(f"{API}/photos/{item['id']}/original", **alice.auth)
    assert original["Content-Type"] == "video/quicktime"
    assert _bytes(original) == data


def test_the_original_api_keeps_videos_too(client: Client, alice: Persona) -> None:
    data = videos.make_video("mp4", seed=2)
    sent = client.post(V1, {"video": _file(data)}, **alice.auth)
    assert sent.status_code == 200, sent.content
    md5 = hashlib.md5(data).hexdigest()
    assert sent.json()["data"] == [{"name": "video", "md5": md5}]
    back = client.get(V1, {"md5": md5}, **alice.auth)
    assert back["Content-Type"] == "video/mp4"
    assert _bytes(back) == data


def test_photos_and_videos_share_one_timeline_by_time_taken(client: Client,
                                                            alice: Persona) -> None:
    clip = videos.make_video("mp4", seed=3, tags={"creation_time": "2030-01-01T00:00:00Z"})
    sent = client.post(f"{API}/photos", {"file": [jpeg_file(1), _file(clip)]}, **alice.auth)
    assert sent.status_code == 201
    items = call(client, "GET", "/photos", alice).json()["items"]
    assert [i["media_type"] for i in items] == ["video", "photo"]
    photo = items[1]
    assert photo["duration"] is None and photo["video"] is None


@pytest.mark.parametrize(("name", "data", "status"), [
    ("no moov", lambda: videos.without_moov(videos.make_video()), 415),
    ("billions of samples", lambda: videos.billions_of_samples(videos.make_video()), 415),
    ("20000 pixels wide", lambda: videos.huge_claim(), 415),
    ("a movie header and nothing else", lambda: b"\x00\x00\x00\x18ftypisom" + bytes(500), 415),
])
def test_hostile_videos_are_refused_in_the_error_shape(client: Client, alice: Persona,
                                                       name: str, data: Any,
                                                       status: int) -> None:
    sent = client.post(f"{API}/photos", {"file": _file(data())}, **alice.auth)
    assert sent.status_code == status, (name, sent.content)
    assert sent.json()["error"]["code"] == "unsupported_media_type"
    assert call(client, "GET", "/photos", alice).json()["items"] == []


def test_an_avi_with_a_broken_index_is_kept_or_refused_never_a_500(client: Client,
                                                                   alice: Persona) -> None:
    data = videos.broken_avi_index(videos.make_video("avi", seed=12))
    sent = client.post(f"{API}/photos", {"file": _file(data, "clip.avi")}, **alice.auth)
    assert sent.status_code in {201, 415}, sent.content
    if sent.status_code == 201:
        photo_id = sent.json()["items"][0]["id"]
        poster = client.get(f"{API}/photos/{photo_id}/thumbnail", **alice.auth)
        assert poster.status_code in {200, 404}


def test_damaged_frames_are_kept_with_no_poster(client: Client, alice: Persona) -> None:
    data = videos.junk_mdat(videos.make_video(seed=4))
    sent = client.post(f"{API}/photos", {"file": _file(data)}, **alice.auth)
    assert sent.status_code == 201
    photo_id = sent.json()["items"][0]["id"]
    thumbnail = client.get(f"{API}/photos/{photo_id}/thumbnail", **alice.auth)
    assert thumbnail.status_code == 404
    assert "no thumbnail" in thumbnail.json()["error"]["message"]


def test_a_video_over_the_length_limit_is_413(client: Client, alice: Persona,
                                              settings: Any) -> None:
    settings.MAX_VIDEO_SECONDS = 0
    sent = client.post(f"{API}/photos", {"file": _file(videos.make_video())}, **alice.auth)
    assert sent.status_code == 413
    assert sent.json()["error"]["code"] == "too_long"


def test_neither_image_nor_video_says_what_is_accepted(client: Client, alice: Persona) -> None:
    sent = client.post(f"{API}/photos", {"file": _file(b"just text" * 100, "a.mp4")},
                       **alice.auth)
    assert sent.status_code == 415
    assert "MP4, MOV" in sent.json()["error"]["message"]


def test_the_default_upload_limit_admits_a_4_gib_video(settings: Any) -> None:
    from imgbackup.api.limits import max_body_bytes

    assert max_body_bytes() > 4 * 1024 ** 3
