"""Identifying videos and reading their tags: pure functions, and FFmpeg in its sandbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import videos

from imgbackup.video import probe
from imgbackup.video.metadata import parse_iso6709, parse_time, read_tags
from imgbackup.video.sniff import video_container

# No database or storage here: the SQLite run covers it.
pytestmark = pytest.mark.backend_independent


def _identify(tmp_path: Path, data: bytes, **limits: float) -> probe.VideoInfo:
    path = tmp_path / "clip"
    path.write_bytes(data)
    return probe.identify(path, limits.get("max_seconds", 21600),
                          int(limits.get("memory_mb", 1536)))


@pytest.mark.parametrize(("kind", "content_type", "codec"), [
    ("mp4", "video/mp4", "h264"), ("mov", "video/quicktime", "hevc"),
    ("m4v", "video/x-m4v", "h264"), ("3gp", "video/3gpp", "mpeg4"),
    ("mkv", "video/x-matroska", "h264"), ("webm", "video/webm", "vp9"),
    ("avi", "video/x-msvideo", "mpeg4"), ("ts", "video/mp2t", "mpeg2video"),
    ("mts", "video/mp2t", "h264"),
])
def test_every_common_container_is_identified(tmp_path: Path, kind: str, content_type: str,
                                              codec: str) -> None:
    info = _identify(tmp_path, videos.make_video(kind))
    assert (info.content_type, info.video_codec) == (content_type, codec)
    assert (info.width, info.height, info.fps, info.decodable) == (64, 48, 10.0, True)
    assert info.duration == pytest.approx(1.0, abs=0.05)


def test_an_iphone_clip_gives_its_zone_place_camera_and_upright_size(tmp_path: Path) -> None:
    data = videos.make_video("mov", rotate=-90, tags=videos.APPLE_TAGS)
    info = _identify(tmp_path, data)
    assert (info.width, info.height, info.rotation) == (48, 64, 90)
    assert info.taken_at == datetime(2023, 6, 1, 12, 34, 56,
                                     tzinfo=timezone(timedelta(hours=2)))
    assert info.taken_at_has_offset
    assert (info.latitude, info.longitude) == (48.8584, 2.2945)
    assert (info.camera_make, info.camera_model) == ("Apple", "iPhone 12")
    assert info.audio_codec == "aac"


def test_the_name_never_decides(tmp_path: Path) -> None:
    assert video_container(b"\xff\xd8\xff\xe0" + bytes(60)) is None  # a JPEG called clip.mp4
    assert video_container(b"\x00\x00\x00\x18ftypheic" + bytes(52)) is None  # an image brand
    assert video_container(videos.make_video("mkv")[:512]).content_type == "video/x-matroska"


@pytest.mark.parametrize(("hostile", "says"), [
    (lambda: videos.without_moov(videos.make_video()), "not a readable"),
    (lambda: videos.billions_of_samples(videos.make_video()), "not a readable"),
    (lambda: videos.huge_claim(), "claims 20000x256 pixels"),
    (lambda: videos.huge_claim(60000, 60000), "claims 0x0 pixels"),
    (lambda: b"\x00\x00\x00\x18ftypisom" + bytes(5000), "not a readable"),
])
def test_hostile_files_are_refused(tmp_path: Path, hostile: object, says: str) -> None:
    with pytest.raises(probe.UnsupportedVideo, match=says):
        _identify(tmp_path, hostile())  # type: ignore[operator]


def test_junk_frames_are_kept_without_a_poster(tmp_path: Path) -> None:
    info = _identify(tmp_path, videos.junk_mdat(videos.make_video()))
    assert not info.decodable


def test_a_zero_duration_is_no_duration(tmp_path: Path) -> None:
    info = _identify(tmp_path, videos.zero_duration(videos.make_video()))
    assert info.duration is None


def test_longer_than_the_limit_is_refused(tmp_path: Path) -> None:
    with pytest.raises(probe.VideoTooLong, match="IMGBACKUP_MAX_VIDEO_SECONDS"):
        _identify(tmp_path, videos.make_video(seconds=2), max_seconds=1)


def test_a_reader_out_of_time_or_memory_is_stopped(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(probe.UnsupportedVideo, match=r"out of memory|stopped"):
        _identify(tmp_path, videos.make_video(), memory_mb=30)
    monkeypatch.setattr(probe, "PROBE_SECONDS", 0.01)
    with pytest.raises(probe.UnsupportedVideo, match="took longer than"):
        _identify(tmp_path, videos.make_video())


@pytest.mark.parametrize(("text", "expected"), [
    ("+48.8584+002.2945+035.000/", (48.8584, 2.2945)),
    ("-33.8688+151.2093/", (-33.8688, 151.2093)),
    ("+4851.504+00217.670/", (48.8584, 2.29450)),  # degrees and minutes
    ("+485130.24+0021740.2/", (48.8584, 2.2945)),  # degrees, minutes, seconds
    ("+91.0+002.0/", None), ("+48.0+181.0/", None), ("+00.0000+000.0000/", None),
    ("+4899.0+00217.0/", None), ("garbage", None), ("", None), ("+1+2", None),
])
def test_iso6709_locations(text: str, expected: tuple[float, float] | None) -> None:
    found = parse_iso6709(text)
    if expected is None:
        assert found is None
    else:
        assert found == pytest.approx(expected, abs=1e-4)


def test_times_keep_their_zone_and_refuse_nonsense() -> None:
    assert parse_time("2023-06-01T12:34:56-0700", False) == datetime(
        2023, 6, 1, 19, 34, 56, tzinfo=UTC)
    assert parse_time("2023-06-01T12:34:56.5Z", True) == datetime(2023, 6, 1, 12, 34, 56,
                                                                   500000, tzinfo=UTC)
    assert parse_time("1904-01-01T00:00:00Z", True) is None  # QuickTime's zero
    assert parse_time("2023-13-01T00:00:00Z", True) is None
    assert parse_time("2023-06-01T00:00:00+2500", True) is None
    assert parse_time("2023-06-01T00:00:00", False) is None  # an Apple date without its zone


def test_apple_creation_date_wins_over_creation_time() -> None:
    tags = read_tags({"creation_time": "2023-06-01T10:00:00.000000Z",
                      "com.apple.quicktime.creationdate": "2023-06-01T13:00:00+0200",
                      "com.apple.quicktime.make": "Apple\x00junk", "make": "Other"})
    assert tags.taken_at == datetime(2023, 6, 1, 11, 0, tzinfo=UTC)
    assert tags.camera_make == "Apple"
