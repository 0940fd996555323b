"""Files of a few GiB for the resumable-upload benchmarks, made quickly and all different:

- ``jpeg_with_junk``: a real JPEG followed by noise (an image decoder reads the header and
  stops), as item 2's huge upload;
- ``long_video``: a real H.264 MP4 (moov at the end, as phones write it) whose few seconds of
  encoded noise are muxed again and again, timestamps running on, up to the size: FFmpeg
  probes it as one long video without encoding gigabytes.

``multipart=True`` wraps the file in a multipart/form-data body (for one POST) as it is
written, instead of copying it afterwards."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import IO, Any

import av
import numpy as np
from PIL import Image

from bench.client import MULTIPART_TAIL, multipart_head

MIB = 1024 * 1024


def jpeg_with_junk(path: Path, size: int, seed: int, multipart: bool = False) -> Path:
    picture = io.BytesIO()
    Image.new("RGB", (640, 480), (seed % 256, 90, 140)).save(picture, "JPEG", quality=90)
    block = os.urandom(4 * MIB)
    with path.open("wb") as out:
        if multipart:
            out.write(multipart_head("photo", f"BIG-{seed}.jpg"))
        out.write(picture.getvalue())
        left = size - len(picture.getvalue())
        while left > 0:
            out.write(block[: min(left, len(block))])
            left -= len(block)
        if multipart:
            out.write(MULTIPART_TAIL)
    return path


class _From(io.RawIOBase):
    """``f`` seen from position ``base`` on: the MP4 muxer seeks back to fill in box sizes,
    and must not write over the multipart head before the video."""

    def __init__(self, f: IO[bytes], base: int) -> None:
        self.f, self.base = f, base

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        return self.f.write(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            offset += self.base
        return self.f.seek(offset, whence) - self.base

    def tell(self) -> int:
        return self.f.tell() - self.base


def long_video(path: Path, size: int, seed: int, frame: tuple[int, int],
               multipart: bool = False) -> Path:
    """An MP4 of about ``size`` bytes (a little more: it stops after the packet that passes
    it, then writes the moov)."""
    with path.open("wb") as raw:
        if multipart:
            raw.write(multipart_head("photo", f"VID-{seed}.mp4", "video/mp4"))
        target = _From(raw, raw.tell())
        _mux(target, size, seed, frame)
        raw.seek(0, io.SEEK_END)
        if multipart:
            raw.write(MULTIPART_TAIL)
    return path


def _mux(target: _From, size: int, seed: int, frame: tuple[int, int]) -> None:
    out = av.open(target, "w", format="mp4")
    stream = out.add_stream("libx264", rate=25)
    stream.width, stream.height, stream.pix_fmt = frame[0], frame[1], "yuv420p"
    stream.options = {"preset": "ultrafast", "crf": "4", "g": "25", "bframes": "0"}
    rng = np.random.default_rng(seed)
    segment = []
    for _ in range(25):  # one second, one keyframe: every repeat starts on a keyframe
        picture = rng.integers(0, 256, (frame[1], frame[0], 3), dtype=np.uint8)
        segment += stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24"))
    segment += stream.encode()
    stamps = sorted(int(packet.pts or 0) for packet in segment)
    span = stamps[-1] - stamps[0] + (stamps[1] - stamps[0])  # one second in their time base
    repeat = 0
    while target.tell() < size:
        for packet in segment:
            again = av.Packet(bytes(packet))
            again.pts = None if packet.pts is None else packet.pts + repeat * span
            again.dts = None if packet.dts is None else packet.dts + repeat * span
            again.time_base, again.is_keyframe, again.stream = (
                packet.time_base, packet.is_keyframe, stream)
            out.mux(again)
            if target.tell() >= size:
                break
        repeat += 1
    out.close()
