"""A still's link to motion: Apple's Live Photo content identifier (in the EXIF maker note) and
Google/Samsung Motion Photos (an MP4 appended to the JPEG, located by XMP).

Pure functions over bytes; no library reads either. Both are written by phones and attackers:
anything malformed gives "no identifier" / "no motion", never an exception."""

from __future__ import annotations

import re
import struct

APPLE_HEADER = b"Apple iOS\x00"
CONTENT_IDENTIFIER_TAG = 0x0011  # ASCII, the UUID shared with the Live Photo's MOV
ASCII = 2
MAX_ENTRIES = 200
MAX_ID = 100
_PRINTABLE_ID = re.compile(r"[0-9A-Za-z-]{1,100}")

# XMP attributes or elements, in either form (attribute="v" or <tag>v</tag>).
_MICRO_VIDEO = re.compile(rb"GCamera:(?:MicroVideo|MotionPhoto)\s*=\s*[\"']1[\"']"
                          rb"|<GCamera:(?:MicroVideo|MotionPhoto)>\s*1\s*<")
_MICRO_OFFSET = re.compile(rb"GCamera:MicroVideoOffset\s*=\s*[\"'](\d{1,12})[\"']"
                           rb"|<GCamera:MicroVideoOffset>\s*(\d{1,12})\s*<")
# Container:Directory items; the MotionPhoto one's Length is the video's, at the end.
_ITEM = re.compile(rb"<Container:Item\b[^>]*>", re.DOTALL)
_SEMANTIC = re.compile(rb"Item:Semantic\s*=\s*[\"']MotionPhoto[\"']")
_LENGTH = re.compile(rb"Item:Length\s*=\s*[\"'](\d{1,12})[\"']")


def apple_content_identifier(maker_note: bytes | None) -> str:
    """The ContentIdentifier in an Apple maker note: "Apple iOS\\0", a version (2 bytes),
    "MM", then a big-endian IFD whose value offsets count from the note's start."""
    if not maker_note or not maker_note.startswith(APPLE_HEADER) or maker_note[12:14] != b"MM":
        return ""
    try:
        (count,) = struct.unpack_from(">H", maker_note, 14)
        for i in range(min(count, MAX_ENTRIES)):
            tag, kind, length, value = struct.unpack_from(">HHI4s", maker_note, 16 + 12 * i)
            if tag == CONTENT_IDENTIFIER_TAG and kind == ASCII and 0 < length <= MAX_ID + 1:
                raw = value[:length] if length <= 4 else maker_note[
                    struct.unpack(">I", value)[0]:][:length]
                found = raw.split(b"\x00", 1)[0].decode("ascii", "replace")
                return found if _PRINTABLE_ID.fullmatch(found) else ""
    except struct.error:
        return ""
    return ""


def motion_offset(xmp: bytes | str | None, file_size: int, tail: bytes) -> int | None:
    """Where the embedded MP4 of a Motion Photo starts, from its XMP; None when the XMP does
    not describe one, or the offset it gives lies outside the file or not on an MP4 (``tail``
    holds the 8 bytes at that offset, read by the caller: see ``claimed_length``)."""
    length = claimed_length(xmp)
    if length is None or not 0 < length < file_size:
        return None
    return file_size - length if tail[4:8] == b"ftyp" else None


def claimed_length(xmp: bytes | str | None) -> int | None:
    """How many bytes at the end of the file the XMP says are the video."""
    if not xmp:
        return None
    data = xmp.encode("utf-8", "replace") if isinstance(xmp, str) else xmp
    if not _MICRO_VIDEO.search(data):
        return None
    if found := _MICRO_OFFSET.search(data):
        return int(found.group(1) or found.group(2))
    for item in _ITEM.findall(data):
        if _SEMANTIC.search(item) and (length := _LENGTH.search(item)):
            return int(length.group(1))
    return None
