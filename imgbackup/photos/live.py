"""Live Photos: an iPhone's still (HEIC or JPEG) and its short MOV, sent as two files in any
order, become one item. Both carry Apple's content identifier (the still in its maker note, the
MOV in ``com.apple.quicktime.content.identifier``); once both are kept, the still points at the
clip (``motion``) and the clip is marked ``is_motion``, which keeps it out of the lists. The
clip stays its owner's photo like any other: the same id, check, original and trash."""

from __future__ import annotations

from django.db import transaction

from imgbackup.photos.models import MediaType, Photo
from imgbackup.statements import Rows, Sql, Statement

_PHOTOS = Rows(Photo)


def _halves(sql: Sql) -> str:
    """The owner's photos with one content identifier, locked (built once: this runs after
    every upload of a Live Photo's half; bench/analysis.md, item 1b)."""
    return (f"SELECT {_PHOTOS.columns(sql, 'p')} FROM {sql.table(Photo, 'p')} "  # noqa: S608
            f"WHERE {sql.column(Photo, 'owner', 'p')} = %s "
            f"AND {sql.column(Photo, 'content_identifier', 'p')} = %s "
            f"ORDER BY {sql.column(Photo, 'id', 'p')}{sql.for_update}")


_HALVES = Statement(_halves, locking=True)


def link_motion(photo: Photo) -> None:
    """Pair ``photo`` with its other half if that is kept already. Runs after ingest's commit,
    in its own transaction: of two halves committed at once, the later call sees both."""
    if not photo.content_identifier:
        return
    with transaction.atomic():
        halves = [_PHOTOS.load(row)
                  for row in _HALVES.rows([photo.owner_id, photo.content_identifier])]
        still = next((p for p in halves if p.media_type == MediaType.PHOTO), None)
        clip = next((p for p in halves if p.media_type == MediaType.VIDEO), None)
        if still is None or clip is None:
            return
        if still.motion_id != clip.pk:
            still.motion = clip
            still.save(update_fields=["motion"])
        if not clip.is_motion:
            clip.is_motion = True
            clip.trashed_at = still.trashed_at
            clip.save(update_fields=["is_motion", "trashed_at"])
