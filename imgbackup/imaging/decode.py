"""The one place where image pixels are decoded, and the memory they may take.

Policy (a small file can claim a huge picture: 40 bytes of lossless WebP decode to 2.7 GB):
- Opening reads the header only. A header claiming more than ``max_pixels`` is refused with a
  readable message; Pillow's own bomb check is switched off so that this one limit is the one
  in force (it refused a 200 MP panorama with "could be decompression bomb DOS attack").
- Before any pixel is decoded, the memory the decode will take is worked out from the header
  (``decoded_bytes``), after the cheapest reduction the format offers on load (a JPEG decodes
  at 1/2, 1/4 or 1/8 scale with ``draft``). Above ``memory_bytes`` nothing is decoded:
  ``OverBudget``, and the photo has no preview (its original is kept and served).
- At most ``jobs`` decodes run at once in a process (``set_render_slots``): the memory a
  process spends on pixels is at most jobs x memory_bytes.

Pure functions and one process-wide semaphore: no ORM, no HTTP."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, JpegImagePlugin

from imgbackup.imaging.integrity import png_exif

# Our limit (Limits.max_pixels, checked on every open below) replaces Pillow's.
Image.MAX_IMAGE_PIXELS = None

MB = 1024 * 1024
# Bytes a pixel takes in Pillow's memory: one for 1/L/P, two for 16-bit greys, else four
# (Pillow keeps RGB, and 16-bit RGB too, in four bytes).
_ONE_BYTE = {"1", "L", "P"}
_ALPHA = {"RGBA", "LA", "PA", "La", "RGBa"}
# Copies of the whole picture a decoder holds at its peak, measured with
# tests/imaging/test_bombs.py's files (peak resident memory / width x height x pixel bytes):
# libwebp decodes into its own buffer and Pillow copies it (13 300^2 RGBA: 2.7 GB, 3.8 x
# 707 MB, with the alpha copy below); libheif decodes to YUV, converts to RGB, and Pillow
# copies that (a 2 500^2 HEIC: 55 MB, 2.3 x its 24 MB); libtiff may hold a whole-image strip.
DECODER_COPIES = {"WEBP": 2, "HEIF": 3, "AVIF": 3, "TIFF": 2}


class ImageTooLarge(ValueError):
    """The header claims more pixels than allowed (a decompression bomb, or just too big)."""


class OverBudget(ValueError):
    """Decoding the picture would take more memory than one render may use."""


class Busy(RuntimeError):
    """Every render slot stayed taken for longer than the caller would wait."""


@dataclass(frozen=True)
class Limits:
    max_pixels: int
    memory_bytes: int = 512 * MB


class _Slots:
    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self.semaphore = threading.BoundedSemaphore(jobs)


_slots = _Slots(2)


def set_render_slots(jobs: int) -> None:
    """How many decodes may run at once in this process (IMGBACKUP_RENDER_JOBS)."""
    global _slots
    if jobs != _slots.jobs:
        _slots = _Slots(max(1, jobs))


@contextmanager
def render_slot(timeout: float) -> Iterator[None]:
    """Hold one of the process's render slots; Busy when none frees up within ``timeout``."""
    slots = _slots
    if not slots.semaphore.acquire(timeout=timeout):
        raise Busy(f"all {slots.jobs} render slots are busy; try again in a moment")
    try:
        yield
    finally:
        slots.semaphore.release()


def open_image(path: str | Path, formats: list[str], limits: Limits) -> Image.Image:
    """``path`` opened (header only, EXIF readable without decoding) and within
    ``limits.max_pixels``. Raises ImageTooLarge,
    FileNotFoundError, or Pillow's own errors for bytes that are not an image."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        im = Image.open(path, formats=formats)
    try:
        check_pixels(im.size, limits.max_pixels)
    except ImageTooLarge:
        im.close()
        raise
    if im.format == "PNG" and "exif" not in im.info:
        # Pillow's getexif() would decode every pixel to reach an eXIf chunk that follows the
        # image data; find it from the chunk headers instead ("" when there is none).
        im.info["exif"] = png_exif(path) or b""
    return im


def check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise ImageTooLarge(
            f"{width} x {height} pixels ({width * height / 1e6:,.1f} megapixels) is more than "
            f"the {max_pixels / 1e6:,.1f} megapixels this server accepts (IMGBACKUP_MAX_PIXELS)")


def prepare(im: Image.Image, fmt: str, max_side: int, limits: Limits) -> None:
    """Set ``im`` up to decode no larger than needed for ``max_side`` (JPEG DCT scaling; other
    formats decode whole), then refuse (OverBudget) a decode that would take more than
    ``limits.memory_bytes``. Nothing is decoded here."""
    coefficients = _jpeg_coefficients(im)  # of the full-size picture, whatever the scale
    width, height = im.size
    scale = min(1.0, max_side / max(width, height))
    im.draft(None, (max(1, round(width * scale)), max(1, round(height * scale))))
    need = _pixels_bytes(im, fmt) + coefficients
    if need > limits.memory_bytes:
        raise OverBudget(
            f"no preview: decoding this {width} x {height} {fmt} would take "
            f"{need / MB:,.0f} MB, more than the {limits.memory_bytes / MB:,.0f} MB a render "
            "may use (IMGBACKUP_RENDER_MEMORY_MB); the original is kept")


def decoded_bytes(im: Image.Image, fmt: str) -> int:
    """The memory, in bytes, that decoding the opened ``im`` whole would take at its peak,
    from its header alone."""
    return _pixels_bytes(im, fmt) + _jpeg_coefficients(im)


def _pixels_bytes(im: Image.Image, fmt: str) -> int:
    width, height = im.size
    size = width * height * _pixel_bytes(im.mode) * DECODER_COPIES.get(fmt, 1)
    if im.mode in _ALPHA or "transparency" in im.info:
        size *= 2  # resampling premultiplies alpha into a second whole-size copy
    return size


def _pixel_bytes(mode: str) -> int:
    if mode in _ONE_BYTE:
        return 1
    if mode.startswith("I;16"):
        return 2
    return 4


def _jpeg_coefficients(im: Image.Image) -> int:
    """A progressive JPEG is decoded from all its scans at once: libjpeg keeps every DCT
    coefficient (2 bytes each) of the full-size picture, whatever scale it outputs."""
    if not isinstance(im, JpegImagePlugin.JpegImageFile) or not im.info.get("progressive"):
        return 0
    width, height = im.size
    sampling: list[tuple[int, int]] = [(int(h), int(v)) for _, h, v, _ in
                                       getattr(im, "layer", None) or [("", 1, 1, 0)]]
    h_max = max(h for h, _ in sampling)
    v_max = max(v for _, v in sampling)
    blocks = sum(-(-width * h // (8 * h_max)) * -(-height * v // (8 * v_max))
                 for h, v in sampling)
    return blocks * 64 * 2
