"""Derived images (thumbnails, previews; a video's are its poster frame): made by a background
job right after the upload (photos/background.py), or on request when that comes first, then
kept in blob storage beside the original (see docs/architecture.md, "Derived images").

Uploads never wait for them. Two requests that ask for the same missing image at once both
render it and both save it: the renders are identical and the storage keeps one whole copy."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import Storage
from django.db import transaction

from imgbackup.imaging.decode import Busy, ImageTooLarge, OverBudget, set_render_slots
from imgbackup.imaging.probe import UnsupportedImage
from imgbackup.imaging.render import CONTENT_TYPE, RenderError, render
from imgbackup.photos.models import Original
from imgbackup.storage import blobs, incoming_dir
from imgbackup.video.frames import make_posters
from imgbackup.video.probe import UnsupportedVideo

SIZES = {"thumbnail": 256, "preview": 1440}
# Kept beside the images: a video's playable copy, and the note that none can be made
# (photos/playback.py). All are deleted with the original.
VIDEO_KINDS = ("playback", "playback-unavailable", "motion")


class DerivedImageUnavailable(Exception):
    """No derived image can be made: the stored bytes do not decode, decoding them would take
    more memory than a render may use, or the original is gone."""


class RendererBusy(Exception):
    """Every render slot of this process stayed busy: try again in a moment."""


def derived_name(sha256: str, kind: str) -> str:
    return f"derived/{sha256[:2]}/{sha256[2:4]}/{sha256}-{kind}"


def derived_content_type(kind: str) -> str:
    if kind == "playback":
        return "video/mp4"
    _check_kind(kind)
    return CONTENT_TYPE


def ensure_derived(original: Original, kind: str) -> str:
    """The blob storage name of ``original``'s ``kind`` image, rendering and saving it first if
    it is not stored yet. Raises ValueError for an unknown kind, DerivedImageUnavailable when
    the original cannot be rendered or was destroyed meanwhile, RendererBusy when no render
    slot frees up in time."""
    _check_kind(kind)
    storage = blobs()
    name = derived_name(original.sha256, kind)
    if storage.exists(name):
        return name
    set_render_slots(settings.RENDER_JOBS)
    try:
        with readable_path(storage, original.storage_name) as path:
            pictures = _pictures(original, path, kind)
    except (RenderError, UnsupportedImage, ImageTooLarge, UnsupportedVideo, OverBudget) as exc:
        raise DerivedImageUnavailable(f"{original.sha256}: {exc}") from exc
    except Busy as exc:
        raise RendererBusy(str(exc)) from exc
    for made, data in pictures.items():
        other = derived_name(original.sha256, made)
        if made == kind or not storage.exists(other):
            _save_while_original_exists(storage, other, original.sha256, data)
    return name


def _pictures(original: Original, path: str, kind: str) -> dict[str, bytes]:
    """A photo rendered at ``kind``'s size; or a video's poster frame at every size at once,
    made by FFmpeg in its sandbox (one child, one decoded frame: the other kind's job then
    finds its image made)."""
    if not original.content_type.startswith("video/"):
        return {kind: render(path, SIZES[kind], max_pixels=settings.MAX_PIXELS,
                             memory_mb=settings.RENDER_MEMORY_MB)}
    posters = make_posters(path, list(SIZES.values()), settings.VIDEO_MEMORY_MB)
    if posters is None:
        raise UnsupportedVideo("no frame of this video decodes")
    return {name: posters[side] for name, side in SIZES.items()}


def delete_derived(sha256: str) -> None:
    storage = blobs()
    for kind in (*SIZES, *VIDEO_KINDS):
        name = derived_name(sha256, kind)
        if storage.exists(name):
            storage.delete(name)


def _check_kind(kind: str) -> None:
    if kind not in SIZES:
        raise ValueError(f"unknown derived image kind {kind!r}: one of {', '.join(SIZES)}")


@contextmanager
def readable_path(storage: Storage, name: str) -> Iterator[str]:
    """A local path to the object ``name``: its own file on disk storage (the decoder then
    reads only what it needs), else a temporary copy (S3)."""
    try:
        local = storage.path(name)
    except NotImplementedError:
        local = None
    if local is not None:
        yield local
        return
    with storage.open(name) as source, spool_file("derived-source-") as copy:
        shutil.copyfileobj(source, copy, 1 << 20)
        copy.flush()
        yield copy.name


def _save_while_original_exists(storage: Storage, name: str, sha256: str, data: bytes) -> None:
    """Save under the Original row lock that destroy() takes (photos/trash.py): a purge either
    ran first (no row: nothing is saved, no orphan is left) or waits for this save and then
    deletes the derived image along with the original."""
    with spool_file("derived-") as spool:
        spool.write(data)
        save_spooled(storage, name, sha256, spool)


def save_spooled(storage: Storage, name: str, sha256: str, spool: IO[bytes]) -> None:
    """Save the written ``spool`` (from spool_file) as ``name``, durably, under the Original
    row lock (see _save_while_original_exists)."""
    spool.flush()
    os.fsync(spool.fileno())
    spool.seek(0)
    with transaction.atomic():
        if not Original.objects.select_for_update().filter(sha256=sha256).exists():
            raise DerivedImageUnavailable(f"{sha256}: the original was destroyed")
        storage.save(name, _SpooledFile(spool))


@contextmanager
def spool_file(prefix: str) -> Iterator[IO[bytes]]:
    # Beside the storage (same filesystem), so local storage can hard-link it into place whole.
    with tempfile.NamedTemporaryFile(prefix=prefix, suffix=".part", dir=incoming_dir()) as f:
        yield f


class _SpooledFile(File):  # type: ignore[type-arg]  # generic only in the stubs
    """A complete, fsynced temp file: local storage links it into place instead of copying,
    so a reader never sees a half-written derived image."""

    def __init__(self, spool: IO[bytes]) -> None:
        super().__init__(spool, spool.name)

    def temporary_file_path(self) -> str:
        return str(self.file.name) if self.file is not None else ""

    def __repr__(self) -> str:
        return f"<derived spool {self.name}>"

