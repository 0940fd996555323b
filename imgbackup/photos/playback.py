"""A video's playback: the original when browsers play it, else its playable copy (H.264/AAC
MP4, video/transcode.py) made by a background job and kept beside the original as the derived
object ``<sha256>-playback``. When no copy can be made, the note ``<sha256>-playback-unavailable``
says why, so clients are told at once instead of waiting for ever."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from imgbackup import jobs
from imgbackup.photos.derived import (
    DerivedImageUnavailable,
    derived_name,
    readable_path,
    save_spooled,
    spool_file,
)
from imgbackup.photos.models import MediaType, Original, Photo
from imgbackup.storage import blobs
from imgbackup.video.transcode import TranscodeFailed, make_playable, plays_as_is

COPY = "playback"
UNAVAILABLE = "playback-unavailable"
# The copy's own time limit stays inside the job's lease, so a slow transcode is never
# mistaken for a dead worker and started twice.
LEASE_SHARE = 0.9


@dataclass(frozen=True)
class Playback:
    state: str  # "original", "copy", "pending" or "unavailable"
    name: str = ""  # the blob to serve (original or copy)
    reason: str = ""


def needs_copy(content_type: str, video_codec: str, audio_codec: str) -> bool:
    return settings.VIDEO_TRANSCODE == "auto" and not plays_as_is(content_type, video_codec,
                                                                  audio_codec)


def playback_of(photo: Photo) -> Playback:
    """What to play for ``photo`` (a video) now. Queues the copy if it is missing and no job
    is making it (a video kept before the copy existed, or while IMGBACKUP_VIDEO_TRANSCODE
    was off)."""
    original = photo.original
    if not needs_copy(original.content_type, photo.video_codec, photo.audio_codec):
        return Playback("original", original.storage_name)
    storage = blobs()
    name = derived_name(original.sha256, COPY)
    if storage.exists(name):
        return Playback("copy", name)
    note = derived_name(original.sha256, UNAVAILABLE)
    if storage.exists(note):
        with storage.open(note) as f:
            return Playback("unavailable", reason=f.read(2000).decode("utf-8", "replace"))
    if not jobs.pending(make_playback, original.sha256):
        jobs.enqueue(make_playback, original.sha256)
    return Playback("pending")


def queue_copy(original: Original, photo: Photo) -> None:
    if photo.media_type == MediaType.VIDEO and needs_copy(
            original.content_type, photo.video_codec, photo.audio_codec):
        jobs.enqueue(make_playback, original.sha256, priority=-10)


def make_playback(sha256: str) -> str:
    """The job: make and keep the playable copy, or the note saying why there is none."""
    original = Original.objects.filter(sha256=sha256).first()
    if original is None:
        return "gone: the original was destroyed"
    storage = blobs()
    name = derived_name(sha256, COPY)
    if storage.exists(name):
        return "made"
    timeout = int(settings.JOB_LEASE_MINUTES) * 60 * LEASE_SHARE
    try:
        with readable_path(storage, original.storage_name) as path, \
                spool_file("playback-") as spool:
            try:
                mode = make_playable(path, spool.name, int(settings.VIDEO_MAX_HEIGHT),
                                     timeout, int(settings.VIDEO_MEMORY_MB))
            except TranscodeFailed as exc:
                reason = f"no playable copy can be made: {exc}"
                with spool_file("playback-note-") as note:
                    note.write(reason.encode())
                    save_spooled(storage, derived_name(sha256, UNAVAILABLE), sha256, note)
                return f"unavailable: {reason}"
            save_spooled(storage, name, sha256, spool)
    except DerivedImageUnavailable:
        return "gone: the original was destroyed"
    return f"made ({mode})"
