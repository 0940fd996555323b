"""Posters and playback: upright poster frames as thumbnail and preview, the original played
when browsers can, else an H.264/AAC copy made in the background (202 until then)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import av
import pytest
import videos
from conftest import Persona, make_jpeg
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django_tasks_db.models import DBTaskResult
from PIL import Image

from imgbackup.photos.background import make_derived
from imgbackup.photos.derived import derived_name
from imgbackup.photos.trash import destroy
from imgbackup.photos.models import Photo
from imgbackup.storage import blobs
from imgbackup.video.probe import identify
from imgbackup.video import remux as remux_module
from imgbackup.video.remux import can_remux, remux
from imgbackup.video.transcode import output_size

API = "/api/v2"
PLAYBACK_JOB = "imgbackup.photos.playback.make_playback"


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    from imgbackup.jobs import worker

    # The worker drops connections that left autocommit, as the test's transaction has.
    monkeypatch.setattr(worker, "close_old_connections", lambda: None)


def _send(client: Client, persona: Persona, data: bytes, name: str = "clip.mov") -> str:
    sent = client.post(f"{API}/photos", {"file": SimpleUploadedFile(name, data)},
                       **persona.auth)
    assert sent.status_code == 201, sent.content
    return str(sent.json()["items"][0]["id"])


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def _playback_jobs() -> int:
    return DBTaskResult.objects.filter(args_kwargs__args__0=PLAYBACK_JOB).count()


def test_the_poster_of_a_rotated_phone_video_is_upright(client: Client, alice: Persona) -> None:
    clip = _send(client, alice, videos.make_video("mov", rotate=-90, tags=videos.APPLE_TAGS))
    for kind in ("thumbnail", "preview"):
        answer = client.get(f"{API}/photos/{clip}/{kind}", **alice.auth)
        assert answer.status_code == 200
        assert answer["Content-Type"] == "image/jpeg"
        poster = Image.open(io.BytesIO(_body(answer))).convert("L")
        assert poster.size == (48, 64)
        # The light corner of the first frame, top-left as coded, is top-right once upright
        # (where `ffmpeg -i clip -frames:v 1` puts it too).
        assert poster.getpixel((45, 2)) > 200 and poster.getpixel((2, 2)) < 150


def test_a_video_browsers_cannot_play_gets_a_copy_made_in_the_background(
        client: Client, alice: Persona, tmp_path: Path) -> None:
    clip = _send(client, alice, videos.make_video("mov", rotate=-90))
    item = client.get(f"{API}/photos/{clip}", **alice.auth).json()
    assert item["urls"]["playback"] == f"{API}/photos/{clip}/playback"
    waiting = client.get(f"{API}/photos/{clip}/playback", **alice.auth)
    assert waiting.status_code == 202
    assert waiting["Retry-After"] == "5"
    assert waiting.json()["status"] == "pending"
    client.get(f"{API}/photos/{clip}/playback", **alice.auth)
    assert _playback_jobs() == 1  # asking again does not queue it twice
    call_command("worker", batch=True)
    ready = client.get(f"{API}/photos/{clip}/playback", **alice.auth)
    assert ready.status_code == 200
    assert ready["Content-Type"] == "video/mp4"
    copy = tmp_path / "copy.mp4"
    copy.write_bytes(_body(ready))
    info = identify(copy, 3600, 1536)
    assert (info.content_type, info.video_codec, info.audio_codec) == ("video/mp4", "h264", "aac")
    assert (info.width, info.height, info.rotation) == (48, 64, 90)  # still upright
    part = client.get(f"{API}/photos/{clip}/playback", HTTP_RANGE="bytes=0-99", **alice.auth)
    assert part.status_code == 206 and len(_body(part)) == 100


def test_an_h264_mp4_is_played_as_it_is(client: Client, alice: Persona) -> None:
    data = videos.make_video("mp4", seed=5)
    clip = _send(client, alice, data, "clip.mp4")
    assert _playback_jobs() == 0
    answer = client.get(f"{API}/photos/{clip}/playback", **alice.auth)
    assert answer.status_code == 200
    assert answer["Content-Type"] == "video/mp4"
    assert _body(answer) == data


def test_with_transcoding_off_the_original_is_played(client: Client, alice: Persona,
                                                     settings: Any) -> None:
    settings.VIDEO_TRANSCODE = "off"
    data = videos.make_video("mov", seed=6)
    clip = _send(client, alice, data)
    assert _playback_jobs() == 0
    answer = client.get(f"{API}/photos/{clip}/playback", **alice.auth)
    assert answer["Content-Type"] == "video/quicktime"
    assert _body(answer) == data


def test_frames_that_do_not_decode_give_no_poster_and_no_copy(client: Client,
                                                              alice: Persona) -> None:
    clip = _send(client, alice, videos.junk_mdat(videos.make_video("mp4", seed=7)), "c.mp4")
    call_command("worker", batch=True)
    for kind in ("thumbnail", "preview"):
        assert client.get(f"{API}/photos/{clip}/{kind}", **alice.auth).status_code == 404


def test_a_copy_that_cannot_be_made_is_said_at_once(client: Client, alice: Persona) -> None:
    data = videos.junk_mdat(videos.make_video("mov", seed=8))
    clip = _send(client, alice, data)
    call_command("worker", batch=True)
    answer = client.get(f"{API}/photos/{clip}/playback", **alice.auth)
    assert answer.status_code == 404
    assert "no playable copy can be made" in answer.json()["error"]["message"]
    assert _playback_jobs() == 1  # and no new job


def test_photos_have_no_playback_and_other_people_see_nothing(
        client: Client, alice: Persona, bob: Persona) -> None:
    photo = _send(client, alice, make_jpeg(3), "a.jpg")
    assert client.get(f"{API}/photos/{photo}/playback", **alice.auth).status_code == 404
    clip = _send(client, alice, videos.make_video("mp4", seed=9), "c.mp4")
    assert client.get(f"{API}/photos/{clip}/playback", **bob.auth).status_code == 404
    assert client.get(f"{API}/photos/{clip}/playback").status_code == 401


def test_destroying_the_video_removes_its_copy(client: Client, alice: Persona) -> None:
    clip = _send(client, alice, videos.make_video("mov", seed=10))
    call_command("worker", batch=True)
    storage = blobs()
    assert storage.exists(derived_name(clip, "playback"))
    destroy(Photo.objects.get(original_id=clip))
    assert not storage.exists(derived_name(clip, "playback"))
    assert not storage.exists(derived_name(clip, "thumbnail"))


def test_the_copy_is_no_taller_than_the_limit(client: Client, alice: Persona, settings: Any,
                                              tmp_path: Path) -> None:
    settings.VIDEO_MAX_HEIGHT = 24
    clip = _send(client, alice, videos.make_video("avi", seed=11), "c.avi")
    call_command("worker", batch=True)
    copy = tmp_path / "c.mp4"
    copy.write_bytes(_body(client.get(f"{API}/photos/{clip}/playback", **alice.auth)))
    info = identify(copy, 3600, 1536)
    assert (info.width, info.height) == (32, 24)


def test_output_sizes() -> None:
    assert output_size(3840, 2160, 1080) == (1920, 1080)
    assert output_size(2160, 3840, 1080) == (1080, 1920)  # portrait: its width is limited
    assert output_size(640, 480, 1080) == (640, 480)  # never enlarged
    assert output_size(1001, 563, 360) == (640, 360)  # even sides


def _video_packets(path: Path) -> list[bytes]:
    with av.open(str(path)) as container:
        return [bytes(p) for p in container.demux(container.streams.video[0]) if p.size]


def _frames(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


@pytest.mark.parametrize(("kind", "video_codec", "audio_codec", "sound"), [
    ("mkv", None, "libopus", "aac"),  # sound browsers cannot all play: re-encoded alone
    ("mov", "libx264", "aac", "aac"),  # an H.264 MOV (older iPhones, cameras): copied whole
])
def test_an_h264_clip_in_another_container_is_copied_into_an_mp4_not_encoded_again(
        client: Client, alice: Persona, tmp_path: Path, kind: str, video_codec: str | None,
        audio_codec: str, sound: str) -> None:
    data = videos.make_video(kind, seed=12, seconds=2, video_codec=video_codec,
                             audio_codec=audio_codec, rotate=-90)
    source = tmp_path / f"source.{kind}"
    source.write_bytes(data)
    clip = _send(client, alice, data, source.name)
    call_command("worker", batch=True)
    [job] = DBTaskResult.objects.filter(args_kwargs__args__0=PLAYBACK_JOB)
    assert job.return_value == "made (remux)"
    copy = tmp_path / "copy.mp4"
    copy.write_bytes(_body(client.get(f"{API}/photos/{clip}/playback", **alice.auth)))
    # The same H.264 packets, byte for byte: nothing was decoded and encoded again.
    assert _video_packets(copy) == _video_packets(source)
    assert _frames(copy) == _frames(source) == 20
    info = identify(copy, 3600, 1536)
    assert (info.content_type, info.video_codec, info.audio_codec) == ("video/mp4", "h264", sound)
    assert (info.width, info.height, info.rotation) == (48, 64, 90)  # upright, as the original
    assert info.duration == pytest.approx(2.0, abs=0.1)
    assert copy.read_bytes().index(b"moov") < copy.read_bytes().index(b"mdat")  # fast start


def test_an_h264_clip_whose_frames_do_not_decode_gets_no_copy(client: Client,
                                                             alice: Persona) -> None:
    data = videos.junk_mdat(videos.make_video("mov", seed=13, video_codec="libx264",
                                              audio=False))
    clip = _send(client, alice, data)
    call_command("worker", batch=True)
    answer = client.get(f"{API}/photos/{clip}/playback", **alice.auth)
    assert answer.status_code == 404
    assert "no frame decodes" in answer.json()["error"]["message"]


def test_copying_refuses_packets_that_decode_to_nothing(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Even where FFmpeg's probe names the stream 4:2:0 H.264 (so it would be copied; here it
    cannot tell, so the check is told yes), junk packets make no copy: one that plays nothing
    is worse than the note saying why."""
    monkeypatch.setattr(remux_module, "can_remux", lambda codec, pixels: True)
    source = tmp_path / "junk.mov"
    source.write_bytes(videos.junk_mdat(videos.make_video("mov", seed=14,
                                                          video_codec="libx264", audio=False)))
    with pytest.raises(ValueError, match="no frame decodes"):
        remux(str(source), "mov", str(tmp_path / "copy.mp4"))


def test_only_8_bit_4_2_0_h264_is_copied() -> None:
    assert can_remux("h264", "yuv420p") and can_remux("h264", "yuvj420p")
    assert not can_remux("h264", "yuv420p10le")  # High 10
    assert not can_remux("h264", "yuv422p")
    assert not can_remux("hevc", "yuv420p")


def test_one_poster_job_makes_the_thumbnail_and_the_preview(client: Client, alice: Persona,
                                                           tmp_path: Path) -> None:
    """Both from one decoded frame in one sandboxed child; the preview's job then finds its
    image made."""
    clip = _send(client, alice, videos.make_video("mp4", seed=15, size=(320, 240)), "c.mp4")
    assert make_derived(clip, "thumbnail") == "made"
    storage = blobs()
    with storage.open(derived_name(clip, "preview")) as f:
        assert Image.open(f).size == (320, 240)
    with storage.open(derived_name(clip, "thumbnail")) as f:
        assert Image.open(f).size == (256, 192)
