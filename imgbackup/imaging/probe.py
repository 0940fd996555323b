"""Identify an image from its bytes, without decoding its pixels.

Pure functions: no ORM, no HTTP. The client's file name and Content-Type are never consulted."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from imgbackup.imaging import heif
from imgbackup.imaging.decode import ImageTooLarge, Limits, open_image
from imgbackup.imaging.exif import Metadata, orientation, read_metadata
from imgbackup.imaging.integrity import Damaged, check_whole
from imgbackup.imaging.motion import apple_content_identifier, claimed_length, motion_offset

heif.register()
EXIF_IFD = 0x8769
MAKER_NOTE = 0x927C

# Pillow format name -> the Content-Type we serve. MPO is how Pillow names the multi-picture
# JPEGs many cameras write; they are JPEG files.
CONTENT_TYPES = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
    "TIFF": "image/tiff",
    "HEIF": "image/heic",
    "AVIF": "image/avif",
}
ACCEPTED = "JPEG, PNG, WebP, GIF, TIFF, HEIC/HEIF, AVIF"


class UnsupportedImage(ValueError):
    """The bytes are not an image of an accepted format."""


@dataclass(frozen=True)
class ImageInfo:
    content_type: str
    format: str
    width: int  # as displayed: after the EXIF orientation is applied
    height: int
    taken_at: datetime | None = None  # aware; from EXIF only (see taken_at_has_offset)
    camera_make: str = ""
    camera_model: str = ""
    lens: str = ""
    latitude: float | None = None
    longitude: float | None = None
    # False when EXIF gave a wall-clock time without its UTC offset (read in default_tz).
    taken_at_has_offset: bool = False
    content_identifier: str = ""  # Apple's: pairs a Live Photo's still with its MOV
    motion_offset: int | None = None  # a Motion Photo: where its embedded MP4 starts


def probe(path: str | Path, max_pixels: int, default_tz: tzinfo = UTC) -> ImageInfo:
    """Read what the header of the image at ``path`` says; never decode pixels (EXIF included).

    EXIF times without an offset are read in ``default_tz``: UTC by default, so the answer
    depends on the bytes alone, not on the server's settings. Junk EXIF leaves fields empty.
    Raises UnsupportedImage or ImageTooLarge (more than ``max_pixels``)."""
    try:
        with open_image(path, openers(), Limits(max_pixels)) as im:
            fmt = im.format or ""
            width, height = im.size
            turn = orientation(im)
            meta = read_metadata(im, default_tz)
            content_id, xmp = _motion_hints(im)
    except ImageTooLarge:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise UnsupportedImage(f"not a recognised image ({ACCEPTED} are accepted)") from exc
    if fmt not in CONTENT_TYPES:
        raise UnsupportedImage(f"{fmt or 'this'} format is not accepted ({ACCEPTED} are)")
    if width <= 0 or height <= 0:
        raise UnsupportedImage("the image header gives no size")
    try:
        check_whole(path, fmt)
    except Damaged as exc:
        raise UnsupportedImage(f"damaged: {exc}") from None
    if turn in {5, 6, 7, 8}:
        width, height = height, width
    info = _info(CONTENT_TYPES[fmt], fmt, width, height, meta)
    return dataclasses.replace(info, content_identifier=content_id,
                               motion_offset=_motion_offset(path, xmp))


def _motion_hints(im: Image.Image) -> tuple[str, bytes | str | None]:
    """Apple's content identifier (maker note) and the XMP packet; empty when unreadable."""
    try:
        note = im.getexif().get_ifd(EXIF_IFD).get(MAKER_NOTE)
    except Exception:  # hostile EXIF: no identifier, the upload goes on
        note = None
    xmp = im.info.get("xmp")
    return apple_content_identifier(note if isinstance(note, bytes) else None), xmp


def _motion_offset(path: str | Path, xmp: bytes | str | None) -> int | None:
    length = claimed_length(xmp)
    if length is None:
        return None
    size = Path(path).stat().st_size
    if not 0 < length < size:
        return None
    with open(path, "rb") as f:
        f.seek(size - length)
        return motion_offset(xmp, size, f.read(8))


def openers() -> list[str]:
    """The accepted formats Pillow can open here (MPO is produced by the JPEG opener)."""
    Image.init()
    return [fmt for fmt in CONTENT_TYPES if fmt in Image.OPEN]


def _info(content_type: str, fmt: str, width: int, height: int, meta: Metadata) -> ImageInfo:
    return ImageInfo(
        content_type=content_type, format=fmt, width=width, height=height,
        taken_at=meta.taken_at, camera_make=meta.camera_make, camera_model=meta.camera_model,
        lens=meta.lens, latitude=meta.latitude, longitude=meta.longitude,
        taken_at_has_offset=meta.taken_at_has_offset,
    )
