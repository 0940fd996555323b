"""Ingest: turn a spooled, hashed upload into a stored original and the owner's photo.

Order of events, for safety:
1. the bytes are already on disk, fsynced, with their hashes: a multipart upload's spool file
   (photos/uploads.py) or a finished resumable upload (photos/resumable.py), one ingest for both;
2. they are identified from their own bytes (never the name or Content-Type): an image by
   Pillow, else a video by FFmpeg in a sandboxed child process (imgbackup/video), and the
   owner's storage quota is checked (photos/quota.py) — before anything is stored;
3. the object is put in storage before any lock is taken: the slow part (a disk sync, or an
   upload to S3) never holds the database's write lock (SQLite) or the row lock; on local
   storage its folder syncs run beside step 4 and are waited for before step 5's commit;
4. under the Original row's lock, the object is checked again and written again if it is
   gone, so a purge or gc of the same bytes either finished before (and the object is
   written again) or waits until this photo exists;
5. the photo row commits last, inside the same transaction, with the background jobs that make
   its thumbnail and preview (photos/background.py): both are kept, or neither;
6. a Live Photo's still and clip, sent separately, are paired (photos/live.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from imgbackup.imaging.decode import ImageTooLarge
from imgbackup.imaging.probe import ACCEPTED, ImageInfo, UnsupportedImage, probe
from imgbackup.photos.background import after_ingest
from imgbackup.photos.live import link_motion
from imgbackup.photos.models import MediaType, Original, Photo, TakenAtSource, original_name
from imgbackup.photos.places import search_fields
from imgbackup.photos.quota import check_quota
from imgbackup.photos.rejected import Rejected as Rejected  # the upload views catch it here
from imgbackup.photos.sha_lock import hold as hold_sha
from imgbackup.photos.trash import restore
from imgbackup.photos.uploads import Spooled
from imgbackup.statements import Insert, Rows, Sql, Statement
from imgbackup.storage import blobs
from imgbackup.storage.syncs import Pending, overlapped
from imgbackup.video import probe as video
from imgbackup.video.probe import VideoInfo

MediaInfo = ImageInfo | VideoInfo
ACCEPTED_VIDEOS = "MP4, MOV, M4V, 3GP, MKV, WebM, AVI, MPEG-TS/MTS/M2TS"

HEX64 = re.compile(r"[0-9a-f]{64}")
HEX32 = re.compile(r"[0-9a-f]{32}")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")


# The statements of every upload, built once rather than compiled by the ORM per call: each
# ORM statement cost ~0.5-1 ms of CPU, several times the SQL (bench/analysis.md, item 1b).
_PHOTOS, _ORIGINALS = Rows(Photo), Rows(Original)
_INSERT_PHOTO = Insert(Photo)
_INSERT_ORIGINAL = Insert(Original, ignore_conflict="sha256")


def _photo_of_owner(sql: Sql) -> str:
    return (f"SELECT {_PHOTOS.columns(sql, 'p')} FROM {sql.table(Photo, 'p')} "  # noqa: S608
            f"WHERE {sql.column(Photo, 'owner', 'p')} = %s "
            f"AND {sql.column(Photo, 'original', 'p')} = %s")


def _original_locked(sql: Sql) -> str:
    return (f"SELECT {_ORIGINALS.columns(sql, 'o')} FROM {sql.table(Original, 'o')} "  # noqa: S608
            f"WHERE {sql.column(Original, 'sha256', 'o')} = %s{sql.for_update}")


_PHOTO_OF_OWNER = Statement(_photo_of_owner)
_ORIGINAL_LOCKED = Statement(_original_locked, locking=True)


@dataclass(frozen=True)
class Ingested:
    photo: Photo
    created: bool


def display_name(name: str | None) -> str:
    """The client's file name as display metadata only: no folders, no control characters."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return _UNPRINTABLE.sub("", name).strip()[:255]


def check_claimed(upload: Spooled, sha256: str | None, md5: str | None) -> None:
    """Compare the hashes the client says it sent with what arrived."""
    if sha256 and sha256.lower() != upload.sha256:
        raise Rejected(400, "checksum_mismatch",
                       f"{upload.name}: the sha256 sent ({sha256}) does not match the bytes "
                       f"received ({upload.sha256}); nothing was kept")
    if md5 and md5.lower() != upload.md5:
        raise Rejected(400, "checksum_mismatch",
                       f"{upload.name}: the md5 sent ({md5}) does not match the bytes "
                       f"received ({upload.md5}); nothing was kept")


def identify(upload: Spooled) -> MediaInfo:
    name = upload.name or "file"
    if upload.size == 0:
        raise Rejected(415, "unsupported_media_type", f"{name}: the file is empty")
    path = upload.temporary_file_path()
    try:
        return probe(path, settings.MAX_PIXELS)
    except ImageTooLarge as exc:
        raise Rejected(413, "too_many_pixels", f"{name}: {exc}") from None
    except UnsupportedImage as exc:
        if video.sniff(path) is None:
            raise Rejected(415, "unsupported_media_type",
                           f"{name}: {exc}; videos ({ACCEPTED_VIDEOS}) are accepted too"
                           ) from None
    try:
        return video.identify(path, settings.MAX_VIDEO_SECONDS, settings.VIDEO_MEMORY_MB)
    except video.VideoTooLong as exc:
        raise Rejected(413, "too_long", f"{name}: {exc}") from None
    except video.UnsupportedVideo as exc:
        raise Rejected(415, "unsupported_media_type",
                       f"{name}: {exc} (images: {ACCEPTED}; videos: {ACCEPTED_VIDEOS})"
                       ) from None


def ingest(owner: User, upload: Spooled, modified_at: datetime | None = None,
           within: Callable[[Ingested], None] | None = None) -> Ingested:
    """Keep ``upload`` as a photo of ``owner``. Raises Rejected for a file that is not kept.

    Uploading bytes the owner already has is not an error: the existing photo is returned
    (and brought back from the trash, since the person explicitly sent it again).
    ``within`` runs in the photo's own transaction, so what it writes commits with the photo
    (one disk sync, not two): a resumable upload's row (photos/resumable_whole.py)."""
    info = identify(upload)
    if not upload.quota_checked:  # else checked before its body was read, this request
        check_quota(owner, upload.size or 0, upload.sha256, name=upload.name or "file")
    # The object's folder syncs (local storage) run while the transaction does its work; they
    # are waited for before it commits (storage/syncs.py).
    with overlapped() as syncing:
        _place(upload)
        searchable = search_fields(info.camera_make, info.camera_model, info.lens,
                                   info.latitude, info.longitude)
        for _attempt in range(3):
            try:
                kept = _commit(owner, upload, info, modified_at, searchable, within, syncing)
            except IntegrityError:
                # The same user sent the same bytes twice at once; the other request won.
                continue
            if kept.created:
                link_motion(kept.photo)  # a Live Photo's other half may be here already
            return kept
    raise Rejected(409, "conflict", f"{upload.name}: try again")


def _commit(owner: User, upload: Spooled, info: MediaInfo, modified_at: datetime | None,
            searchable: dict[str, Any], within: Callable[[Ingested], None] | None,
            syncing: Pending) -> Ingested:
    with transaction.atomic():
        kept = _kept(owner, upload, info, modified_at, searchable)
        if within is not None:
            within(kept)
        syncing.wait()  # the object and its folders on disk before the rows naming it commit
        return kept


def _kept(owner: User, upload: Spooled, info: MediaInfo, modified_at: datetime | None,
          searchable: dict[str, Any]) -> Ingested:
    original, new = _ensure_original(upload, info)
    # An original this transaction inserted has no photo yet: nobody else can see it.
    photo = None if new else _photo_of(owner, original)
    if photo is not None:
        restore(photo)  # a Live Photo's clip comes back with it
        return Ingested(photo, created=False)
    # Again under the owner's quota row lock: parallel uploads of one user pass one by one.
    # (Refused here, bytes placed in step 3 and owned by nobody are cleared by gc.)
    check_quota(owner, upload.size or 0, name=upload.name or "file", locked=True)
    taken_at, source = _taken_at(info, modified_at)
    photo = Photo(
        owner=owner, original=original, filename=display_name(upload.name),
        width=info.width, height=info.height, taken_at=taken_at, taken_at_source=source,
        camera_make=info.camera_make, camera_model=info.camera_model, lens=info.lens,
        latitude=info.latitude, longitude=info.longitude, **_media_fields(info),
        **searchable,
    )
    photo.derive_keys()  # as Photo.save does (tests/core/test_statements.py compares the rows)
    _INSERT_PHOTO.insert(photo)
    after_ingest(original, photo)
    return Ingested(photo, created=True)


def _photo_of(owner: User, original: Original) -> Photo | None:
    """``owner``'s photo of these bytes, if they have one (at most one: a unique pair)."""
    row = _PHOTO_OF_OWNER.row([owner.pk, original.sha256])
    if row is None:
        return None
    photo = _PHOTOS.load(row)
    photo.owner, photo.original = owner, original
    return photo


def _ensure_original(upload: Spooled, info: MediaInfo) -> tuple[Original, bool]:
    """The Original row, locked, with its object present in storage; True if inserted now."""
    new = False
    # Before any row lock: gc deciding that these bytes' object is an orphan waits for this
    # transaction, or this one for its decision (then the object is written again below).
    hold_sha(upload.sha256)
    for _attempt in range(5):
        made = _insert_original(upload, info)
        if made is not None:
            # Inserted by this transaction: nobody else can see, lock or delete it before it
            # commits, so the locking read below would only find it again.
            original, new = made, True
            break
        # Under READ COMMITTED (PostgreSQL) a destroy holding the lock may delete the row we
        # just found; once it commits our locking read finds nothing, and we create it again.
        row = _ORIGINAL_LOCKED.row([upload.sha256])
        if row is not None:
            original = _ORIGINALS.load(row)
            break
    else:
        raise Rejected(503, "conflict", f"{upload.name}: the server is busy with these bytes; "
                       "try again")
    # Placed before the lock was taken, but a purge or gc may have removed it since.
    _place(upload)
    return original, new


def _insert_original(upload: Spooled, info: MediaInfo) -> Original | None:
    """The Original row inserted, or None if one with this SHA-256 exists. One statement (on
    PostgreSQL it waits for another transaction inserting the same row, as get_or_create's
    INSERT did), where get_or_create took four (SELECT, SAVEPOINT, INSERT, RELEASE): with
    the ORM's preparation of each, ~1.3 ms of CPU per upload (bench/analysis.md, item 1b)."""
    row = Original(sha256=upload.sha256, md5=upload.md5, size=int(upload.size or 0),
                   content_type=info.content_type)
    return row if _INSERT_ORIGINAL.insert(row) else None


def _media_fields(info: MediaInfo) -> dict[str, object]:
    if not isinstance(info, VideoInfo):
        return {"content_identifier": info.content_identifier,
                "motion_offset": info.motion_offset}
    return {"content_identifier": info.content_identifier, "media_type": MediaType.VIDEO,
            "duration": info.duration, "fps": info.fps, "video_codec": info.video_codec,
            "audio_codec": info.audio_codec}


def _place(upload: Spooled) -> None:
    """The upload's bytes in storage under their hash, unless a whole copy is there already."""
    name = original_name(upload.sha256)
    storage = blobs()
    try:
        # One lookup (a HEAD on S3), not exists() then size(): this runs twice per upload.
        whole = storage.size(name) == upload.size
    except FileNotFoundError:
        whole = False
    if not whole:
        upload.seek(0)
        storage.save(name, upload)


def _taken_at(info: MediaInfo, modified_at: datetime | None) -> tuple[datetime, str]:
    if info.taken_at is not None:
        return info.taken_at, TakenAtSource.EXIF
    if modified_at is not None:
        return modified_at, TakenAtSource.FILE
    return timezone.now(), TakenAtSource.UPLOAD
