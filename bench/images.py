"""Camera-like JPEGs generated in code: 12 MP, EXIF, noisy content so they stay ~6 MB."""

from __future__ import annotations

import io
import struct
from pathlib import Path

from PIL import Image

# 4000 x 3000 at quality 90 with Gaussian noise of this sigma is ~6 MB, like a phone photo.
FULL_SIZE = (4000, 3000)
NOISE_SIGMA = 40


def camera_jpeg(seed: int, size: tuple[int, int] = FULL_SIZE) -> bytes:
    """A JPEG with camera EXIF and content that does not compress to nothing."""
    channels = []
    for i in range(3):
        gradient = Image.linear_gradient("L").rotate((seed * 47 + i * 60) % 360)
        noise = Image.effect_noise(size, NOISE_SIGMA + (seed % 3))
        channels.append(Image.blend(gradient.resize(size), noise, 0.5))
    image = Image.merge("RGB", channels)
    exif = Image.Exif()
    exif[0x010F] = "BenchCam"  # Make
    exif[0x0110] = "Model 6"  # Model
    exif[0x0132] = f"2024:05:{1 + seed % 28:02d} 12:34:56"  # DateTime
    exif[0x0112] = 1  # Orientation
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


def variant(jpeg: bytes, tag: str) -> bytes:
    """The same picture with different bytes: a JPEG comment segment right after SOI."""
    comment = f"imgbackup bench {tag}".encode()
    segment = b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment
    return jpeg[:2] + segment + jpeg[2:]


def photo_set(count: int, size: tuple[int, int] = FULL_SIZE, bases: int = 2,
              tag: str = "") -> list[bytes]:
    """``count`` distinct JPEGs (different bytes, hence different hashes)."""
    originals = [camera_jpeg(seed, size) for seed in range(max(1, min(bases, count)))]
    return [variant(originals[i % len(originals)], f"{tag}{i}") for i in range(count)]


def write_set(folder: Path, photos: list[bytes], prefix: str = "IMG_") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, data in enumerate(photos):
        path = folder / f"{prefix}{i:05d}.jpg"
        path.write_bytes(data)
        paths.append(path)
    return paths
