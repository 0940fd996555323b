"""A video's poster: its first decodable frame, upright, as a JPEG no larger than asked.

``poster_jpeg`` runs in the sandbox (video/child.py); ``make_poster`` is the server's side."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from imgbackup.video.probe import PROBE_SECONDS, UnsupportedVideo, first_frame, sniff, upright_turn
from imgbackup.video.sandbox import SandboxFailed, run_child

QUALITY = 80  # as photos' derived images (imaging/render.py)


def make_poster(path: str | Path, max_side: int, memory_mb: int) -> bytes | None:
    """The poster JPEG of the video at ``path``, or None when no frame decodes. Raises
    UnsupportedVideo when the file is not a video FFmpeg can read within the limits."""
    container = sniff(path)
    if container is None:
        raise UnsupportedVideo("not a video container")
    with tempfile.TemporaryDirectory(prefix="imgbackup-poster-") as folder:
        out = Path(folder) / "poster.jpg"
        try:
            answer = run_child(["poster", str(path), container.demuxer, str(out), str(max_side)],
                               timeout=PROBE_SECONDS, memory_mb=memory_mb)
        except SandboxFailed as exc:
            raise UnsupportedVideo(f"no poster: {exc}") from None
        if not answer.get("poster"):
            return None
        return out.read_bytes()


def poster_jpeg(path: str, demuxer: str, out: str, max_side: int) -> bool:
    """In the sandbox: write the poster to ``out``; False when no frame decodes."""
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
        picture = frame.to_image()
        turn = upright_turn(frame.rotation)
    for _ in range(turn // 90):
        picture = picture.transpose(Image.Transpose.ROTATE_270)  # 90 degrees clockwise
    picture.thumbnail((max_side, max_side), Image.Resampling.BICUBIC, reducing_gap=2.0)
    buf = io.BytesIO()
    picture.convert("RGB").save(buf, "JPEG", quality=QUALITY)
    Path(out).write_bytes(buf.getvalue())
    return True
