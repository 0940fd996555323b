"""Trash, restore, destroy and purge. A photo goes to the trash first; its original's bytes are
removed only when no photo of anyone refers to them, under the same lock ingest takes."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
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
    if photo.trashed_at is None:
        photo.trashed_at = timezone.now()
        photo.save(update_fields=["trashed_at"])


def restore(photo: Photo) -> None:
    if photo.trashed_at is not None:
        photo.trashed_at = None
        photo.save(update_fields=["trashed_at"])


def destroy(photo: Photo) -> None:
    """Delete the photo now; delete its original's bytes too if nobody else has them."""
    sha256 = photo.original_id
    with transaction.atomic():
        Original.objects.select_for_update().filter(sha256=sha256).first()
        photo.delete()
        _release(sha256)


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
    for photo in Photo.objects.filter(trashed_at__lt=cutoff).iterator():
        destroy(photo)
        count += 1
    return count
