"""Identify a video and read what it says of itself: ``identify(path)`` in the server, which
runs ``read_video`` in a sandboxed child process (video/sandbox.py).

A file is kept as a video when its first bytes name a container (video/sniff.py), the one
demuxer that container allows opens it, and it has a video stream of believable size and a
duration within the limit. Whether a frame decodes is recorded (``decodable``), not required:
a clip whose frames are damaged is still the user's clip, kept with no poster."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from imgbackup.video.metadata import read_tags
from imgbackup.video.sandbox import SandboxFailed, run_child
from imgbackup.video.sniff import HEAD_SIZE, Container, video_container

# H.264 level 6.2 and HEVC stop at 8192 pixels a side; twice that is no camera's.
MAX_SIDE = 16384
# Frames decoded looking for the first picture (a poster, the rotation): past this many
# packets of a stream that yields none, the clip has no poster.
MAX_PACKETS_FOR_A_FRAME = 600
PROBE_SECONDS = 60.0
APPLE_CONTENT_ID = "com.apple.quicktime.content.identifier"


class UnsupportedVideo(ValueError):
    """Not a video of an accepted container, or not one FFmpeg can read within the limits."""


class VideoTooLong(ValueError):
    """Longer than IMGBACKUP_MAX_VIDEO_SECONDS."""


@dataclass(frozen=True)
class VideoInfo:
    content_type: str
    format: str  # the demuxer that read it
    width: int  # as displayed: rotation applied
    height: int
    duration: float | None  # seconds; None when the container does not say
    fps: float | None
    video_codec: str
    audio_codec: str
    rotation: int  # degrees clockwise that turn the coded picture upright: 0, 90, 180, 270
    decodable: bool  # a frame decoded: a poster can be made
    taken_at: datetime | None = None
    taken_at_has_offset: bool = False
    camera_make: str = ""
    camera_model: str = ""
    lens: str = ""
    latitude: float | None = None
    longitude: float | None = None
    content_identifier: str = ""  # Apple's, pairing a Live Photo's still and clip

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["taken_at"] = self.taken_at.isoformat() if self.taken_at else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VideoInfo:
        taken = data.get("taken_at")
        fields = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in fields}
        values["taken_at"] = datetime.fromisoformat(taken) if taken else None
        return cls(**values)


def sniff(path: str | Path) -> Container | None:
    with open(path, "rb") as f:
        return video_container(f.read(HEAD_SIZE))


def identify(path: str | Path, max_seconds: float, memory_mb: int) -> VideoInfo:
    """Raises UnsupportedVideo or VideoTooLong. The client's name is never consulted."""
    container = sniff(path)
    if container is None:
        raise UnsupportedVideo("not a video container")
    try:
        answer = run_child(["probe", str(path), container.demuxer, container.content_type,
                            str(max_seconds)], timeout=PROBE_SECONDS, memory_mb=memory_mb)
    except SandboxFailed as exc:
        raise UnsupportedVideo(f"the video cannot be read: {exc}") from None
    if answer.get("error") == "too_long":
        raise VideoTooLong(str(answer.get("message")))
    if "error" in answer:
        raise UnsupportedVideo(str(answer.get("message")))
    return VideoInfo.from_json(answer["video"])


def read_video(path: str, demuxer: str, content_type: str, max_seconds: float) -> VideoInfo:
    """In the sandbox: open with the one allowed demuxer and read streams, tags and the first
    frame. Raises UnsupportedVideo or VideoTooLong."""
    import av

    try:
        container = av.open(path, format=demuxer, options={"protocol_whitelist": "file"})
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise UnsupportedVideo(f"not a readable {content_type} file ({exc})") from None
    with container:
        if not container.streams.video:
            raise UnsupportedVideo("the file has no video stream")
        stream = container.streams.video[0]
        width, height = stream.codec_context.width, stream.codec_context.height
        if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
            raise UnsupportedVideo(f"the video claims {width}x{height} pixels")
        duration = _duration(container, stream)
        if duration is not None and duration > max_seconds:
            raise VideoTooLong(f"the video lasts {duration:.0f} s; the limit is "
                               f"{max_seconds:.0f} s (IMGBACKUP_MAX_VIDEO_SECONDS)")
        audio = container.streams.audio[0].codec_context.name if container.streams.audio else ""
        tags = {str(k): str(v) for k, v in container.metadata.items()}
        rotation = first_frame_rotation(container, stream)
        meta = read_tags(tags)
        turned = rotation in (90, 270)
        return VideoInfo(
            content_type=content_type, format=demuxer,
            width=height if turned else width, height=width if turned else height,
            duration=duration, fps=_fps(stream), video_codec=stream.codec_context.name,
            audio_codec=audio, rotation=rotation or 0, decodable=rotation is not None,
            taken_at=meta.taken_at, taken_at_has_offset=meta.taken_at_has_offset,
            camera_make=meta.camera_make, camera_model=meta.camera_model,
            latitude=meta.latitude, longitude=meta.longitude,
            content_identifier=tags.get(APPLE_CONTENT_ID, "")[:100],
        )


def first_frame_rotation(container: Any, stream: Any) -> int | None:
    """Clockwise degrees that turn the first decodable frame upright, or None if no frame
    decodes within MAX_PACKETS_FOR_A_FRAME packets."""
    frame = first_frame(container, stream)
    return None if frame is None else upright_turn(frame.rotation)


def first_frame(container: Any, stream: Any) -> Any:
    import av

    stream.codec_context.thread_count = 2
    try:
        for count, packet in enumerate(container.demux(stream)):
            if count >= MAX_PACKETS_FOR_A_FRAME:
                return None
            for frame in packet.decode():
                return frame
    except (av.FFmpegError, OSError, ValueError, MemoryError):
        return None
    return None


def upright_turn(rotation: float) -> int:
    """FFmpeg's display rotation is counter-clockwise; the turn to apply is the opposite."""
    return round(-rotation / 90.0) % 4 * 90


def _duration(container: Any, stream: Any) -> float | None:
    seconds: float | None = None
    if container.duration is not None and container.duration > 0:
        seconds = container.duration / 1_000_000
    elif stream.duration is not None and stream.time_base is not None and stream.duration > 0:
        seconds = float(stream.duration * stream.time_base)
    return round(seconds, 3) if seconds else None


def _fps(stream: Any) -> float | None:
    rate = stream.average_rate or stream.guessed_rate
    if not rate:
        return None
    value = float(rate)
    return round(value, 3) if 0 < value <= 1000 else None
