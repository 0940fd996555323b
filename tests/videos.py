"""Test videos made in code with PyAV: tiny (64x48, 1 s at 10 fps), one per container, plus the
hostile ones. No video files are kept in the repository."""

from __future__ import annotations

import io
import struct
from typing import Any

import av
from PIL import Image

APPLE_TAGS = {
    "com.apple.quicktime.creationdate": "2023-06-01T12:34:56+0200",
    "com.apple.quicktime.location.ISO6709": "+48.8584+002.2945+035.000/",
    "com.apple.quicktime.make": "Apple",
    "com.apple.quicktime.model": "iPhone 12",
    "creation_time": "2023-06-01T10:34:56.000000Z",
}
# (muxer, video codec, audio codec or None, muxer options)
KINDS: dict[str, tuple[str, str, str | None, dict[str, str]]] = {
    "mp4": ("mp4", "libx264", "aac", {}),
    "mov": ("mov", "libx265", "aac", {"movflags": "use_metadata_tags"}),
    "m4v": ("ipod", "libx264", None, {}),
    "3gp": ("3gp", "mpeg4", None, {}),
    "mkv": ("matroska", "libx264", None, {}),
    "webm": ("webm", "libvpx-vp9", "libopus", {}),
    "avi": ("avi", "mpeg4", None, {}),
    "ts": ("mpegts", "mpeg2video", None, {}),
    "mts": ("mpegts", "h264", None, {"mpegts_m2ts_mode": "1"}),
}


def make_video(kind: str = "mp4", seed: int = 0, seconds: float = 1.0, fps: int = 10,
               size: tuple[int, int] = (64, 48), rotate: int | None = None,
               tags: dict[str, str] | None = None, audio: bool | None = None,
               video_codec: str | None = None, audio_codec: str | None = None) -> bytes:
    """A real little video whose bytes differ per seed: a colour that changes every frame, so
    a poster and a decoded frame can be told apart. ``video_codec`` and ``audio_codec`` (an
    encoder's name) replace the kind's own."""
    muxer, codec, kind_audio, options = KINDS[kind]
    codec = video_codec or codec
    audio_codec = audio_codec or kind_audio
    if codec == "h264":
        codec = "libx264"
    buf = io.BytesIO()
    out = av.open(buf, "w", format=muxer, options=options)
    if tags:
        out.metadata.update(tags)
    stream = out.add_stream(codec, rate=fps)
    stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
    if codec == "libx265":
        stream.options = {"x265-params": "log-level=none"}
    if rotate is not None:
        stream.set_display_rotation(rotate)
    wants_sound = audio_codec is not None and audio is not False
    sound = out.add_stream(audio_codec, rate=48000) if wants_sound else None
    frames = max(1, round(seconds * fps))
    for i in range(frames):
        picture = Image.new("RGB", size, ((seed * 40 + i * 20) % 256, 120, 60))
        picture.paste((250, 250, 250), (0, 0, size[0] // 4, size[1] // 4))  # a corner mark
        for packet in stream.encode(av.VideoFrame.from_image(picture)):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)
    if sound is not None:
        _silence(out, sound, seconds)
    out.close()
    return buf.getvalue()


def _silence(out: Any, sound: Any, seconds: float) -> None:
    samples = sound.codec_context.frame_size or 1024
    fmt = sound.codec_context.format.name
    layout = sound.codec_context.layout.name
    for i in range(int(48000 * seconds) // samples):
        frame = av.AudioFrame(format=fmt, layout=layout, samples=samples)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.sample_rate = 48000
        frame.pts = i * samples
        for packet in sound.encode(frame):
            out.mux(packet)
    for packet in sound.encode():
        out.mux(packet)


def boxes(data: bytes) -> dict[bytes, tuple[int, int]]:
    """Top-level MP4 boxes: type -> (offset, size)."""
    found, at = {}, 0
    while at + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[at:at + 8])
        if size < 8:
            break
        found[kind] = (at, size)
        at += size
    return found


def without_moov(data: bytes) -> bytes:
    """A truncated upload: the MP4 ends before its moov (written last by default)."""
    at, _ = boxes(data)[b"moov"]
    return data[:at]


def junk_mdat(data: bytes) -> bytes:
    """Every frame replaced by noise; the index still points at it."""
    at, size = boxes(data)[b"mdat"]
    noise = bytes((i * 7919 + 13) % 251 for i in range(size - 8))
    return data[:at + 8] + noise + data[at + size:]


def huge_claim(width: int = 20000, height: int = 256) -> bytes:
    """A Matroska file of raw video (whose size only the container gives) claiming
    ``width`` x ``height`` pixels a frame (320 x 256 really)."""
    buf = io.BytesIO()
    out = av.open(buf, "w", format="matroska")
    stream = out.add_stream("rawvideo", rate=10)
    stream.width, stream.height, stream.pix_fmt = 320, 256, "yuv420p"
    for packet in stream.encode(av.VideoFrame.from_image(Image.new("RGB", (320, 256)))):
        out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)
    out.close()
    data = buf.getvalue()
    # PixelWidth (0xB0) and PixelHeight (0xBA), each two bytes long (0x82).
    data = data.replace(b"\xb0\x82\x01\x40", b"\xb0\x82" + struct.pack(">H", width), 1)
    return data.replace(b"\xba\x82\x01\x00", b"\xba\x82" + struct.pack(">H", height), 1)


def broken_avi_index(data: bytes) -> bytes:
    """An AVI whose idx1 index points every frame at the wrong place."""
    at = data.index(b"idx1")
    size = struct.unpack("<I", data[at + 4:at + 8])[0]
    body = bytearray(data[at + 8:at + 8 + size])
    for entry in range(0, len(body) - 15, 16):  # chunk id, flags, offset, size
        body[entry + 8:entry + 12] = struct.pack("<I", 0x7FFFFFF0 - entry)
    return data[:at + 8] + bytes(body) + data[at + 8 + size:]


def billions_of_samples(data: bytes) -> bytes:
    """The sample size table claims 4 294 967 295 samples."""
    at = data.index(b"stsz")
    spot = at + 4 + 4 + 4  # version/flags, sample size, then the count
    return data[:spot] + struct.pack(">I", 0xFFFFFFFF) + data[spot + 4:]


def zero_duration(data: bytes) -> bytes:
    """Every duration in the movie and track headers set to 0."""
    out = bytearray(data)
    for box in (b"mvhd", b"mdhd", b"tkhd"):
        start = 0
        while (at := out.find(box, start)) >= 0:
            version = out[at + 4]
            if box == b"tkhd":
                spot = at + 8 + (16 if version else 8) + 4 + 4
            else:
                spot = at + 8 + (16 if version else 8) + 4
            width = 8 if version else 4
            out[spot:spot + width] = bytes(width)
            start = at + 4
    return bytes(out)


# --- Live Photos and Motion Photos --------------------------------------------------------
UUID = "5A2D3F4E-1B2C-4D5E-8F90-A1B2C3D4E5F6"


def apple_maker_note(content_id: str) -> bytes:
    """An Apple maker note with one entry: ContentIdentifier (0x0011, ASCII)."""
    value = content_id.encode() + b"\x00"
    head = b"Apple iOS\x00" + b"\x00\x01" + b"MM"
    ifd = struct.pack(">H", 1) + struct.pack(">HHII", 0x0011, 2, len(value), 32) + bytes(4)
    return head + ifd + value


def live_still(content_id: str = UUID, seed: int = 0, xmp: bytes | None = None) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Apple"
    exif.get_ifd(0x8769)[0x927C] = apple_maker_note(content_id)
    buf = io.BytesIO()
    extra: dict[str, Any] = {"xmp": xmp} if xmp else {}
    Image.new("RGB", (64, 48), (seed * 30 % 256, 90, 200)).save(buf, "JPEG",
                                                                exif=exif.tobytes(), **extra)
    return buf.getvalue()


def live_clip(content_id: str = UUID, seed: int = 0) -> bytes:
    return make_video("mov", seed=seed, tags={
        **APPLE_TAGS, "com.apple.quicktime.content.identifier": content_id})


def motion_photo(offset_shift: int = 0) -> tuple[bytes, bytes]:
    clip = make_video("mp4", seed=3)
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/'
           b'02/22-rdf-syntax-ns#"><rdf:Description xmlns:GCamera="http://ns.google.com/'
           b'photos/1.0/camera/" GCamera:MicroVideo="1" GCamera:MicroVideoVersion="1" '
           b'GCamera:MicroVideoOffset="' + str(len(clip) + offset_shift).encode() +
           b'"/></rdf:RDF></x:xmpmeta>')
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 90)).save(buf, "JPEG", xmp=xmp)
    return buf.getvalue() + clip, clip
