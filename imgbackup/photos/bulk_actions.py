"""One action on many of one user's photos at once, as the timeline's selection asks for it.

The caller passes the user's photos (the API's owner-scoped ``photos_of``), so an id that is
not theirs, or is no photo id at all, is simply not found. Destroying is for photos already in
the trash, as one at a time. The other actions run in one transaction: all of the photos
change or none; each destroy takes its own locks (photos/trash.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from imgbackup.photos.ingest import HEX64
from imgbackup.photos.models import Photo
from imgbackup.photos.trash import destroy, restore_many, trash_many


def _destroy_trashed(rows: QuerySet[Photo]) -> None:
    for photo in rows:
        destroy(photo)


ACTIONS: dict[str, Callable[[QuerySet[Photo]], Any]] = {
    "trash": trash_many,
    "restore": restore_many,
    "favourite": lambda rows: rows.update(favourite=True),
    "unfavourite": lambda rows: rows.update(favourite=False),
    "destroy": _destroy_trashed,
}
ONLY_TRASHED = {"destroy"}


def among(photos: QuerySet[Photo], ids: list[str]) -> QuerySet[Photo]:
    """Those of ``photos`` whose id is one of ``ids`` (malformed ids match nothing)."""
    return photos.filter(original_id__in=[i for i in ids if HEX64.fullmatch(i)])


def apply(action: str, photos: QuerySet[Photo], ids: list[str]) -> set[str]:
    """Do ``action`` (one of ACTIONS) to those of ``ids`` found among ``photos``; their ids."""
    rows = among(photos, ids)
    if action in ONLY_TRASHED:
        rows = rows.filter(trashed_at__isnull=False)
    found = set(rows.values_list("original_id", flat=True))
    chosen = photos.filter(original_id__in=found)
    if action in ONLY_TRASHED:
        ACTIONS[action](chosen)
    else:
        with transaction.atomic():
            ACTIONS[action](chosen)
    return found
