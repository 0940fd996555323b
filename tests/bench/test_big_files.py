"""The resumable-upload benchmark's inputs (bench/big_files.py) are what they claim to be: a
long real video FFmpeg reads as one, and multipart bodies that wrap the same kind of file."""

from __future__ import annotations

import sys
from pathlib import Path

import av
import pytest
from conftest import on_postgres, on_s3

# The benchmarks are not installed with imgbackup: import them from the checkout (before this
# folder, tests/bench, could pass for a package of the same name).
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.modules.pop("bench", None)

from bench.__main__ import item_number  # noqa: E402
from bench.big_files import jpeg_with_junk, long_video  # noqa: E402
from bench.client import MULTIPART_TAIL, multipart_head  # noqa: E402

pytestmark = pytest.mark.skipif(on_s3() or on_postgres(), reason="no server involved")
MIB = 1024 * 1024


def test_a_long_video_is_one_real_mp4_of_the_size_asked(tmp_path: Path) -> None:
    path = long_video(tmp_path / "v.mp4", 3 * MIB, 1, (160, 120))
    assert 3 * MIB <= path.stat().st_size < 4 * MIB
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264" and (stream.width, stream.height) == (160, 120)
        # Repeated seconds play on: the duration is the frames', not the first second's.
        frames = stream.frames
        assert frames > 25 and container.duration / 1e6 == pytest.approx(frames / 25, abs=0.1)


def test_a_multipart_video_body_holds_the_video_between_head_and_tail(tmp_path: Path) -> None:
    body = long_video(tmp_path / "b.bin", MIB, 2, (160, 120), multipart=True).read_bytes()
    head = multipart_head("photo", "VID-2.mp4", "video/mp4")
    assert body.startswith(head) and body.endswith(MULTIPART_TAIL)
    video = tmp_path / "inner.mp4"
    video.write_bytes(body[len(head):-len(MULTIPART_TAIL)])
    with av.open(str(video)) as container:
        assert container.streams.video[0].frames > 0


def test_jpeg_with_junk_is_exactly_the_size(tmp_path: Path) -> None:
    path = jpeg_with_junk(tmp_path / "j.jpg", 5 * MIB + 3, 1)
    assert path.stat().st_size == 5 * MIB + 3 and path.read_bytes()[:2] == b"\xff\xd8"


def test_only_11_selects_11_and_its_letters_not_1() -> None:
    assert [item_number(k) for k in ("1", "9b", "11", "11d")] == ["1", "9", "11", "11"]
