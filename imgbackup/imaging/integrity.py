"""Is an image file whole? A structural check that reads no pixels.

Policy (a backup service keeps what phones write, and refuses what is damaged):
- JPEG: the compressed image data must reach its end-of-image marker. Anything after that marker
  is kept and ignored: motion photos (Google, Samsung) append a video there, and many cameras
  append their own trailers. A JPEG that stops before the marker was cut off mid-scan
  (an interrupted copy or transfer): the bottom of the picture is gone, so it is refused.
- PNG: the chunks must run, intact in length, up to IEND; trailing bytes are ignored likewise.
- WebP: the RIFF container must be as long as its header says.
Other formats are checked only as far as their header (Pillow's open)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

CHUNK = 64 * 1024  # a whole JPEG ends in its last block: 1 MB blocks cost ~0.05 ms more
MAX_EXIF = 4 * 1024 * 1024  # far more than any camera writes
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SOS, EOI = 0xDA, 0xD9
# Markers that stand alone, without a length: TEM and the restart markers RST0-7.
STANDALONE = {0x01, *range(0xD0, 0xD8)}


class Damaged(ValueError):
    """The file is cut short: it ends before its own structure says it does."""


def check_whole(path: str | Path, fmt: str) -> None:
    """Raise Damaged when a JPEG, PNG or WebP file at ``path`` is truncated."""
    with open(path, "rb") as f:
        if fmt in {"JPEG", "MPO"}:
            _jpeg(f)
        elif fmt == "PNG":
            _png(f)
        elif fmt == "WEBP":
            _webp(f)


def _jpeg(f: BinaryIO) -> None:
    if f.read(2) != b"\xff\xd8":
        raise Damaged("the JPEG does not start with its start-of-image marker")
    while True:  # bounded: every turn moves forward in the file or returns
        prefix = f.read(1)
        if prefix != b"\xff":
            raise Damaged("the JPEG ends, or is garbled, before its image data")
        marker = f.read(1)
        while marker == b"\xff":  # fill bytes
            marker = f.read(1)
        if not marker:
            raise Damaged("the JPEG ends before its image data")
        code = marker[0]
        if code == EOI:
            raise Damaged("the JPEG ends before its image data")
        if code in STANDALONE:
            continue
        length = f.read(2)
        if len(length) < 2:
            raise Damaged("the JPEG ends inside a header segment")
        size = int.from_bytes(length, "big")
        if code == SOS:
            _find_eoi(f)
            return
        f.seek(size - 2, 1)


def _find_eoi(f: BinaryIO) -> None:
    """An end-of-image marker somewhere after the first scan began. Inside compressed data every
    0xFF byte is followed by 0x00 or a restart marker, so an FF D9 there is the real end; one
    in trailing data (a motion photo's video) can only follow it. Searching backwards, a block
    at a time, finds it in the last block of a whole file without reading the rest; only a
    damaged file is read back to its start of scan."""
    start = f.tell()
    position = f.seek(0, 2)
    following = b""  # the first byte of the block after the current one
    while position > start:
        size = min(CHUNK, position - start)
        position -= size
        f.seek(position)
        block = f.read(size)
        if block.rfind(b"\xff\xd9") >= 0 or (block.endswith(b"\xff") and following == b"\xd9"):
            return
        following = block[:1]
    raise Damaged("the JPEG is cut off: its image data stops before the end-of-image marker "
                  "(an interrupted copy?)")


def _png_chunks(f: BinaryIO) -> Iterator[tuple[bytes, int, bool]]:
    """A PNG's chunks after its signature, from their headers alone: each one's kind, length,
    and whether it ends within the file; at each, the file stands at the chunk's data."""
    end = f.seek(0, 2)
    position = 8
    while position + 12 <= end:  # bounded: every turn moves forward by at least 12 bytes
        f.seek(position)
        length = int.from_bytes(f.read(4), "big")
        kind = f.read(4)
        yield kind, length, position + 12 + length <= end
        position += 12 + length


def _png(f: BinaryIO) -> None:
    if f.read(8) != PNG_SIGNATURE:
        raise Damaged("the PNG signature is damaged")
    for kind, _, whole in _png_chunks(f):
        if not whole:
            break
        if kind == b"IEND":
            return
    raise Damaged("the PNG is cut off before its end chunk (an interrupted copy?)")


def _webp(f: BinaryIO) -> None:
    header = f.read(12)
    end = f.seek(0, 2)
    if len(header) < 12 or int.from_bytes(header[4:8], "little") + 8 > end:
        raise Damaged("the WebP file is shorter than its header says (an interrupted copy?)")


def png_exif(path: str | Path) -> bytes | None:
    """The EXIF of a PNG's eXIf chunk wherever it is, found by walking the chunk headers (no
    pixel is decoded: Pillow's getexif() decodes the whole image to reach a chunk that follows
    the image data). None without one, or when it is larger than MAX_EXIF."""
    with open(path, "rb") as f:
        if f.read(8) != PNG_SIGNATURE:
            return None
        for kind, length, _ in _png_chunks(f):
            if kind == b"eXIf":
                return b"Exif\x00\x00" + f.read(length) if length <= MAX_EXIF else None
            if kind == b"IEND":
                return None
    return None
