"""A video's poster: its first decodable frame, upright, as JPEGs no larger than asked.

``poster_jpegs`` runs in the sandbox (video/child.py); ``make_posters`` is the server's side. One
child makes every size asked from one decoded frame: starting Python and FFmpeg and decoding a
4K frame cost more than shrinking it twice."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from imgbackup.video.probe import PROBE_SECONDS, UnsupportedVideo, first_frame, sniff, upright_turn
from imgbackup.video.sandbox import SandboxFailed, run_child

QUALITY = 80  # as photos' derived images (imaging/render.py)


def make_posters(path: str | Path, sides: Sequence[int],
                 memory_mb: int) -> dict[int, bytes] | None:
    """The poster JPEG of the video at ``path`` at each of these largest sides, or None when
    no frame decodes. Raises UnsupportedVideo when the file is not a video FFmpeg can read
    within the limits."""
    container = sniff(path)
    if container is None:
        raise UnsupportedVideo("not a video container")
    with tempfile.TemporaryDirectory(prefix="imgbackup-poster-") as folder:
        try:
            answer = run_child(["poster", str(path), container.demuxer, folder,
                                ",".join(str(side) for side in sides)],
                               timeout=PROBE_SECONDS, memory_mb=memory_mb)
        except SandboxFailed as exc:
            raise UnsupportedVideo(f"no poster: {exc}") from None
        if not answer.get("poster"):
            return None
        return {side: (Path(folder) / f"{side}.jpg").read_bytes() for side in sides}


def poster_jpegs(path: str, demuxer: str, folder: str, sides: Sequence[int]) -> bool:
    """In the sandbox: write the poster at each side to ``folder/SIDE.jpg``; False when no
    frame decodes."""
    import av
    from PIL import Image

    try:
        container = av.open(path, format=demuxer, options={"protocol_whitelist": "file"})
    except (av.FFmpegError, OSError, ValueError):
        return False
    with container:
        if not container.streams.video:
            return False
        frame = first_frame(container, container.streams.video[0])
        if frame is None:
            return False
        picture = scaled_rgb(frame, max(sides))
        turn = upright_turn(frame.rotation)
    for _ in range(turn // 90):
        picture = picture.transpose(Image.Transpose.ROTATE_270)  # 90 degrees clockwise
    for side in sorted(sides, reverse=True):  # each from the last: the largest first
        picture.thumbnail((side, side), Image.Resampling.BICUBIC, reducing_gap=2.0)
        buf = io.BytesIO()
        picture.save(buf, "JPEG", quality=QUALITY)
        (Path(folder) / f"{side}.jpg").write_bytes(buf.getvalue())
    return True


def scaled_rgb(frame: Any, side: int) -> Any:
    """The frame as an RGB picture no larger than ``side`` by ``side`` (never enlarged), made by
    FFmpeg's scaler in the same pass as the conversion from YUV. A full-size RGB picture of a
    4K frame cost 70 ms and 25 MB, then 75 ms for Pillow to shrink it to 1440 px; this pass
    costs ~19 ms (bicubic, as photos' previews)."""
    factor = min(1.0, side / max(frame.width, frame.height))
    width = max(1, round(frame.width * factor))
    height = max(1, round(frame.height * factor))
    return frame.reformat(width, height, format="rgb24", interpolation="BICUBIC").to_image()
