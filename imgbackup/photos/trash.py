"""Trash, restore, destroy and purge. A photo goes to the trash first; its original's bytes are
removed only when no photo of anyone refers to them, under the same lock ingest takes."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from imgbackup.photos.models import Original, Photo
from imgbackup.storage import blobs

log = logging.getLogger(__name__)


def purge_at(photo: Photo) -> datetime | None:
    """When a trashed photo will be destroyed by the purge."""
    if photo.trashed_at is None:
        return None
    return photo.trashed_at + timedelta(days=settings.TRASH_DAYS)


def trash(photo: Photo) -> None:
    still = still_of(photo)
    if still is not None:
        trash(still)  # a Live Photo is one item, whichever half is named
        return
    if photo.trashed_at is None:
        photo.trashed_at = timezone.now()
        photo.save(update_fields=["trashed_at"])
    _follow_motion(photo)


def restore(photo: Photo) -> None:
    still = still_of(photo)
    if still is not None:
        restore(still)
        return
    if photo.trashed_at is not None:
        photo.trashed_at = None
        photo.save(update_fields=["trashed_at"])
    _follow_motion(photo)


def still_of(photo: Photo) -> Photo | None:
    """The still of which ``photo`` is the Live Photo clip (photos/live.py), if it is one."""
    if not photo.is_motion:
        return None
    return Photo.objects.filter(owner_id=photo.owner_id, motion_id=photo.pk).first()


def _follow_motion(photo: Photo) -> None:
    """A Live Photo's clip goes to the trash and back with its still."""
    if photo.motion_id is not None:
        Photo.objects.filter(pk=photo.motion_id).update(trashed_at=photo.trashed_at)


def trash_many(photos: QuerySet[Photo]) -> None:
    """Move these photos to the trash (those already there keep their date), with the other
    half of each Live Photo among them, as ``trash`` does one at a time."""
    _set_trashed(photos.filter(trashed_at__isnull=True), timezone.now())


def restore_many(photos: QuerySet[Photo]) -> None:
    _set_trashed(photos.filter(trashed_at__isnull=False), None)


def _set_trashed(photos: QuerySet[Photo], when: datetime | None) -> None:
    halves = list(photos.exclude(motion=None).values_list("motion_id", flat=True))
    clips = list(photos.filter(is_motion=True).values_list("pk", flat=True))
    halves += Photo.objects.filter(motion_id__in=clips).values_list("pk", flat=True)
    photos.update(trashed_at=when)
    # The other halves, if not already so: one in the trash keeps the date it went there.
    Photo.objects.filter(pk__in=halves, trashed_at__isnull=when is not None).update(
        trashed_at=when)


def destroy(photo: Photo, trashed_before: datetime | None = None) -> bool:
    """Delete the photo now; delete its original's bytes too if nobody else has them.

    The decision is taken again under the locks, not from the ``photo`` the caller read
    earlier: another node may have destroyed it meanwhile, or (with ``trashed_before``, the
    purge) its owner restored it. Returns whether this call destroyed it. A Live Photo is
    destroyed whole, whichever half is named."""
    still = still_of(photo)
    if still is not None:
        return destroy(still, trashed_before)
    sha256 = photo.original_id
    with transaction.atomic():
        Original.objects.select_for_update().filter(sha256=sha256).first()
        current = Photo.objects.select_for_update().filter(pk=photo.pk).first()
        if current is None:
            return False
        if trashed_before is not None and (current.trashed_at is None
                                           or current.trashed_at >= trashed_before):
            return False
        motion_id = current.motion_id
        current.delete()
        _release(sha256)
    clip = Photo.objects.filter(pk=motion_id).first() if motion_id is not None else None
    if clip is not None:
        destroy(clip)  # a Live Photo's clip goes with its still
    return True


def release(sha256: str) -> None:
    """Remove an original if no photo refers to it (gc of rows a crash or bug left behind)."""
    with transaction.atomic():
        Original.objects.select_for_update().filter(sha256=sha256).first()
        _release(sha256)


def _release(sha256: str) -> None:
    """Remove an original nobody refers to. Runs inside the transaction holding its row lock, so
    an ingest of the same bytes either committed its photo first (and the bytes stay) or
    waits and then writes them again from its own spooled copy."""
    if Photo.objects.filter(original_id=sha256).exists():
        return
    original = Original.objects.filter(sha256=sha256).first()
    if original is None:
        return
    from imgbackup.photos.derived import delete_derived

    storage = blobs()
    storage.delete(original.storage_name)
    delete_derived(sha256)
    original.delete()
    log.info("removed original %s: no photo refers to it", sha256)


def purge_expired(now: datetime | None = None) -> int:
    """Destroy every photo that has been in the trash longer than IMGBACKUP_TRASH_DAYS."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.TRASH_DAYS)
    count = 0
    # Safe on several nodes at once: each destroy re-checks under the row locks.
    for photo in Photo.objects.filter(trashed_at__lt=cutoff).iterator():
        count += destroy(photo, trashed_before=cutoff)
    return count
