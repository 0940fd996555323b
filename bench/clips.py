"""Test clips for the video benchmarks, made in code with PyAV.

Encoding a 4K minute takes x264 many minutes on two shared cores, so a two-second segment is
encoded once (a gradient drifting sideways over faint blocky texture: ~45 Mb/s at 4K, a
phone's rate) and its packets are written again and again with shifted times. The result is a
real 60 s stream whose every segment starts with a key frame; decoding, copying and encoding it
cost what any clip of that size and rate costs."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

FPS = 30
SEGMENT_SECONDS = 2
AUDIO_RATE = 48000
TEXTURES = 4
# (muxer, video encoder, its options, audio encoder or None)
KINDS: dict[str, tuple[str, str, dict[str, str], str | None]] = {
    "h264": ("matroska", "libx264", {"preset": "ultrafast", "crf": "20"}, "libopus"),
    "mpeg2": ("mpegts", "mpeg2video", {"b": "40M", "maxrate": "40M", "bufsize": "20M"}, None),
}


@dataclass(frozen=True)
class Clip:
    path: Path
    codec: str
    size: tuple[int, int]
    seconds: int
    frames: int

    def describe(self) -> str:
        megabytes = self.path.stat().st_size / 1e6
        return (f"a {self.size[0]}x{self.size[1]} {self.seconds} s {self.codec} clip at {FPS} "
                f"fps ({self.frames} frames, {megabytes:.1f} MB)")


@dataclass(frozen=True)
class _Packet:
    data: bytes
    pts: int | None
    dts: int | None
    duration: int
    keyframe: bool
    time_base: Fraction


def make_clip(path: Path, kind: str, size: tuple[int, int], seconds: int) -> Clip:
    """The clip at ``path``, made unless it is there already (once per run)."""
    segment = min(seconds, SEGMENT_SECONDS) * FPS
    repeats = math.ceil(seconds * FPS / segment)
    clip = Clip(path, kind, size, repeats * segment // FPS, repeats * segment)
    if path.exists():
        return clip
    muxer, encoder, options, audio = KINDS[kind]
    partial = path.with_suffix(".part")
    with av.open(str(partial), "w", format=muxer) as out:
        video: Any = out.add_stream(encoder, rate=FPS)
        video.width, video.height, video.pix_fmt = size[0], size[1], "yuv420p"
        video.options = {**options, "g": str(segment)}
        sound: Any = out.add_stream(audio, rate=AUDIO_RATE) if audio else None
        if sound is not None:
            sound.codec_context.layout = "stereo"
        # The first segment is encoded into the file, and kept to be written again.
        packets = [(video, p) for p in _encode_video(out, video, size, segment)]
        if sound is not None:
            packets += [(sound, p) for p in _encode_sound(out, sound, segment / FPS)]
        for repeat in range(1, repeats):
            for stream, kept in packets:
                _write(out, stream, kept, Fraction(repeat * segment, FPS))
    partial.replace(path)
    return clip


def _encode_video(out: Any, stream: Any, size: tuple[int, int], frames: int) -> list[_Packet]:
    pictures = _pictures(size)
    packets: list[_Packet] = []
    for i in range(frames):
        frame = av.VideoFrame.from_ndarray(pictures(i), format="yuv420p")
        frame.pts = i
        packets += _mux_and_keep(out, stream.encode(frame))
    return packets + _mux_and_keep(out, stream.encode(None))


def _pictures(size: tuple[int, int]) -> Any:
    width, height = size
    rows, cols = np.mgrid[0:height, 0:width]
    base = ((cols * 255 // width + rows * 128 // height) % 256).astype(np.int16)
    base[::97, :], base[:, ::131] = 235, 16
    rng = np.random.default_rng(0)
    lumas = []
    for _ in range(TEXTURES):  # a texture that changes from frame to frame, as sensor noise
        texture = rng.integers(-2, 3, (height // 8 + 1, width // 8 + 1), dtype=np.int16)
        texture = texture.repeat(8, 0).repeat(8, 1)[:height, :width]
        lumas.append(np.clip(base + texture, 0, 255).astype(np.uint8))
    chroma = np.full((height // 2, width), 128, np.uint8)
    chroma[: height // 4, : width // 2] = 90

    def picture(i: int) -> Any:
        return np.vstack([np.roll(lumas[i % TEXTURES], i * 6, axis=1), chroma])

    return picture


def _encode_sound(out: Any, stream: Any, seconds: float) -> list[_Packet]:
    """A 440 Hz tone."""
    samples = stream.codec_context.frame_size or 960
    packets: list[_Packet] = []
    for start in range(0, int(seconds * AUDIO_RATE), samples):
        t = (np.arange(start, start + samples) / AUDIO_RATE).astype(np.float32)
        tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        frame = av.AudioFrame.from_ndarray(np.vstack([tone, tone]), format="fltp",
                                           layout="stereo")
        frame.sample_rate, frame.pts = AUDIO_RATE, start
        packets += _mux_and_keep(out, stream.encode(frame))
    return packets + _mux_and_keep(out, stream.encode(None))


def _mux_and_keep(out: Any, packets: list[Any]) -> list[_Packet]:
    kept = [_Packet(bytes(p), p.pts, p.dts, p.duration or 0, p.is_keyframe, p.time_base)
            for p in packets]
    out.mux(packets)
    return kept


def _write(out: Any, stream: Any, kept: _Packet, shift: Fraction) -> None:
    packet = av.Packet(kept.data)
    offset = int(shift / kept.time_base)
    packet.pts = None if kept.pts is None else kept.pts + offset
    packet.dts = None if kept.dts is None else kept.dts + offset
    packet.duration, packet.time_base = kept.duration, kept.time_base
    packet.is_keyframe = kept.keyframe
    packet.stream = stream
    out.mux(packet)
