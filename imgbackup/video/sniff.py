"""Tell a video container from its first bytes, never from the name or Content-Type.

Only a first guess: it picks which FFmpeg demuxer may open the file (no other is ever tried),
and that demuxer decides. Imported by the command-line client too, so no Django here."""

from __future__ import annotations

from dataclasses import dataclass

HEAD_SIZE = 512
TS_PACKET = 188
# Brands that are still images (HEIF, AVIF): those are Pillow's, or a broken image.
IMAGE_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1",
                b"avif", b"avis", b"M4A ", b"M4B ", b"M4P "}
# ISO base media / QuickTime files may start with these boxes when they have no ftyp.
QUICKTIME_BOXES = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}


@dataclass(frozen=True)
class Container:
    content_type: str
    demuxer: str  # the one FFmpeg demuxer allowed to open it


MP4 = "mov"
MATROSKA = "matroska"


def video_container(head: bytes) -> Container | None:
    """The container of the video whose file starts with ``head`` (HEAD_SIZE bytes), or None."""
    if head[4:8] == b"ftyp":
        return _iso_media(head[8:12])
    if head[4:8] in QUICKTIME_BOXES:
        return Container("video/quicktime", MP4)
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        webm = b"\x42\x82\x84webm" in head[:64]
        return Container("video/webm" if webm else "video/x-matroska", MATROSKA)
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return Container("video/x-msvideo", "avi")
    if _sync_every_packet(head, 0, TS_PACKET) or _sync_every_packet(head, 4, TS_PACKET + 4):
        return Container("video/mp2t", "mpegts")  # MPEG-TS, or M2TS/MTS (4-byte timecodes)
    return None


def _iso_media(brand: bytes) -> Container | None:
    if brand in IMAGE_BRANDS:
        return None
    if brand == b"qt  ":
        return Container("video/quicktime", MP4)
    if brand.startswith(b"M4V"):
        return Container("video/x-m4v", MP4)
    if brand.startswith(b"3g2"):
        return Container("video/3gpp2", MP4)
    if brand.startswith(b"3gp"):
        return Container("video/3gpp", MP4)
    return Container("video/mp4", MP4)


def _sync_every_packet(head: bytes, first: int, step: int) -> bool:
    """A transport stream: the sync byte 0x47 at the start of each of the first packets."""
    positions = range(first, len(head), step)
    return len(positions) >= 2 and all(head[i] == 0x47 for i in positions)
