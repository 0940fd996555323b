"""Where ``pull`` puts each photo: ``YYYY/MM/DD/<original file name>`` by the day it was taken.

The layout is a pure function of the photo list, so running ``pull`` again finds every file
where it left it. Two photos of one day with one name (two cameras both at IMG_0001.JPG):
the first uploaded keeps the name, the others get ``-<first 8 hex of their id>`` before the
extension. Ordering by upload time means a photo added later never takes an existing name.
Names are compared case-insensitively, for the file systems that do (macOS, Windows)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath
from typing import Any

_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"|?*]')
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif",
               "image/webp": ".webp", "image/tiff": ".tif", "image/heic": ".heic",
               "image/heif": ".heif", "image/avif": ".avif", "video/mp4": ".mp4",
               "video/quicktime": ".mov", "video/x-m4v": ".m4v", "video/3gpp": ".3gp",
               "video/3gpp2": ".3g2", "video/x-matroska": ".mkv", "video/webm": ".webm",
               "video/x-msvideo": ".avi", "video/mp2t": ".mts"}
MAX_NAME = 200  # bytes: leaves room for the suffix under the usual 255-byte limit


def day_folder(photo: Mapping[str, Any]) -> str:
    """``YYYY/MM/DD`` of the day taken, as the camera's clock said it (the date part of the
    ISO time, in its own offset: a photo taken at 23:30 in Tokyo belongs to that day)."""
    for key in ("taken_at", "uploaded_at"):
        match = _DATE.match(str(photo.get(key) or ""))
        if match:
            return "/".join(match.groups())
    return "undated"


def safe_name(photo: Mapping[str, Any]) -> str:
    """The photo's file name made safe to create: no folders, no control characters, not
    hidden, not empty. The server strips these too; a client does not rely on it."""
    name = str(photo.get("filename") or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip().lstrip(".")
    while len(name.encode()) > MAX_NAME:
        stem, suffix = _split(name)
        name = stem[:-1] + suffix
    if not name:
        name = str(photo["id"])[:16] + _EXTENSIONS.get(str(photo.get("content_type")), "")
    return name


def plan(photos: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Photo id -> its path relative to the destination folder (``/``-separated)."""
    groups: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for photo in photos:
        groups[f"{day_folder(photo)}/{safe_name(photo)}".casefold()].append(photo)
    taken = set(groups)
    paths: dict[str, str] = {}
    renamed: list[Mapping[str, Any]] = []
    for group in groups.values():
        group.sort(key=lambda p: (str(p.get("uploaded_at") or ""), str(p["id"])))
        first, *rest = group
        paths[str(first["id"])] = f"{day_folder(first)}/{safe_name(first)}"
        renamed += rest
    for photo in sorted(renamed, key=lambda p: str(p["id"])):
        paths[str(photo["id"])] = _unique(photo, taken)
    return paths


def _unique(photo: Mapping[str, Any], taken: set[str]) -> str:
    stem, suffix = _split(safe_name(photo))
    photo_id = str(photo["id"])
    for length in (8, 16, len(photo_id)):
        candidate = f"{day_folder(photo)}/{stem}-{photo_id[:length]}{suffix}"
        if candidate.casefold() not in taken:
            taken.add(candidate.casefold())
            return candidate
    raise ValueError(f"two photos with the id {photo_id}")


def _split(name: str) -> tuple[str, str]:
    suffix = PurePosixPath(name).suffix
    return (name[: -len(suffix)], suffix) if suffix else (name, "")
