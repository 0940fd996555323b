"""Names of derived images (thumbnails, previews) in blob storage."""

from __future__ import annotations

import io

from django.core.files.base import ContentFile
from PIL import Image, ImageOps

from imgbackup.imaging import heif
from imgbackup.photos.models import Original
from imgbackup.storage import blobs

heif.register()

SIZES = {"thumbnail": 256, "preview": 1440}


def derived_name(sha256: str, kind: str) -> str:
    return f"derived/{sha256[:2]}/{sha256[2:4]}/{sha256}-{kind}"


def delete_derived(sha256: str) -> None:
    storage = blobs()
    for kind in SIZES:
        name = derived_name(sha256, kind)
        if storage.exists(name):
            storage.delete(name)


# Stand-in until the imaging branch lands its generator with the same interface: JPEG, upright.
def derived_content_type(kind: str) -> str:
    return "image/jpeg"


def ensure_derived(original: Original, kind: str) -> str:
    """The storage name of ``original``'s ``kind`` image, generated on first request."""
    name = derived_name(original.sha256, kind)
    storage = blobs()
    if storage.exists(name):
        return name
    with storage.open(original.storage_name, "rb") as src, Image.open(src) as im:
        im.draft("RGB", (SIZES[kind], SIZES[kind]))
        upright = ImageOps.exif_transpose(im).convert("RGB")
    upright.thumbnail((SIZES[kind], SIZES[kind]))
    out = io.BytesIO()
    upright.save(out, "JPEG", quality=82)
    storage.save(name, ContentFile(out.getvalue()))
    return name
