"""Tell image and video files by their first bytes, never by their name (``IMG_1.JPG`` may be
a movie, and a photo may have no extension at all). Only formats the server accepts are
recognised; the server decides (videos by FFmpeg), this only picks what is worth sending."""

from __future__ import annotations

from imgbackup.video.sniff import HEAD_SIZE, video_container

__all__ = ["HEAD_SIZE", "image_type", "media_type"]

# ISO base media files (HEIC, AVIF) name their kind in the ``ftyp`` box: a major brand then
# compatible brands. Videos use the same container with other brands, so brands decide.
_HEIF_BRANDS = {
    b"heic": "image/heic", b"heix": "image/heic", b"heim": "image/heic",
    b"heis": "image/heic", b"hevc": "image/heic", b"hevx": "image/heic",
    b"hevm": "image/heic", b"hevs": "image/heic", b"mif1": "image/heif",
    b"msf1": "image/heif", b"avif": "image/avif", b"avis": "image/avif",
}

_PREFIXES = [
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
]


def media_type(head: bytes) -> str | None:
    """The Content-Type of the image or video whose file starts with ``head``, or None."""
    found = image_type(head)
    if found is None and (video := video_container(head)) is not None:
        found = video.content_type
    return found


def image_type(head: bytes) -> str | None:
    """The Content-Type of the image whose file starts with ``head``, or None if not an image."""
    for prefix, content_type in _PREFIXES:
        if head.startswith(prefix):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        return _heif_type(head)
    return None


def _heif_type(head: bytes) -> str | None:
    box_end = min(int.from_bytes(head[:4], "big"), len(head))
    brands = [head[8:12]] + [head[i:i + 4] for i in range(16, box_end - 3, 4)]
    for brand in brands:
        if brand in _HEIF_BRANDS:
            # "avif" is more specific than the generic "mif1" that AVIF files list too.
            if brand in {b"mif1", b"msf1"} and any(b in {b"avif", b"avis"} for b in brands):
                return "image/avif"
            return _HEIF_BRANDS[brand]
    return None
