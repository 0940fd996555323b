"""Album workflows, as plain functions: what the views ask, without HTTP. Every write to an
album, its items and its members is here; the views check access and read the request.

Adding takes only the adder's own photos outside the trash; removing takes the album's items
that the remover may remove (any, for the owner; their own photos, for a contributor). Neither
ever touches a photo itself."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from imgbackup.photos.ingest import HEX64
from imgbackup.photos.models import Photo
from imgbackup.sharing.access import Level
from imgbackup.sharing.models import Album, AlbumItem, AlbumMember


def create(owner: User, name: str, description: str) -> Album:
    return Album.objects.create(owner=owner, name=name, description=description)


def delete(album: Album) -> None:
    """The album, its items, members and links; its photos stay."""
    album.delete()


def change(album: Album, fields: dict[str, Any], manual_order: list[str] | None = None) -> None:
    """Set the album's ``fields`` (name, description, order, cover) and, when given, number its
    items in ``manual_order`` (see set_manual_order): both, or neither."""
    with transaction.atomic():
        for name, value in fields.items():
            setattr(album, name, value)
        if manual_order is not None:
            set_manual_order(album, manual_order)
        album.save()


def set_member(album: Album, member: User, role: str) -> None:
    """Give ``member`` this role in the album, whether they had another or none."""
    AlbumMember.objects.update_or_create(album=album, user=member, defaults={"role": role})


def remove_member(album: Album, username: str) -> bool:
    """Take that user out of the album's members; False when they were not one."""
    deleted, _ = AlbumMember.objects.filter(album=album, user__username=username).delete()
    return deleted > 0


def keep_guest_upload(album: Album, photo: Photo, new: bool) -> None:
    """Put a photo a guest sent through a share link in the album, marked as the guest's when
    the upload created it (bytes the owner already had stay the owner's)."""
    AlbumItem.objects.get_or_create(album=album, photo=photo, defaults={"guest": new})


def with_counts(albums: QuerySet[Album]) -> QuerySet[Album]:
    """``albums`` with ``live_count``: their items whose photo is outside the trash."""
    return (Album.objects.filter(pk__in=albums.values("pk")).select_related("owner", "cover")
            .annotate(live_count=Count("items", filter=Q(items__photo__trashed_at__isnull=True,
                                                         items__photo__is_motion=False)))
            .order_by("-created_at"))


def live_count(album: Album) -> int:
    return album.items.filter(photo__trashed_at__isnull=True, photo__is_motion=False).count()


def add_photos(album: Album, user: User, ids: list[str], guest: bool = False) -> list[str]:
    """Put ``user``'s photos with these ids in the album; answers the ids that are now in it."""
    wanted = [i for i in ids if HEX64.fullmatch(i)]
    photos = Photo.objects.filter(owner=user, original_id__in=wanted, trashed_at__isnull=True)
    found = _stills_for_clips({photo.original_id: photo for photo in photos})
    with transaction.atomic():
        present = set(album.items.filter(photo__in=found.values())
                      .values_list("photo_id", flat=True))
        top = album.items.aggregate(top=Max("position"))["top"] or 0
        chosen: dict[int, Photo] = {}
        for i in ids:
            if i in found and found[i].pk not in present:
                chosen.setdefault(found[i].pk, found[i])
        new = [AlbumItem(album=album, photo=photo, position=top + n, guest=guest)
               for n, photo in enumerate(chosen.values(), start=1)]
        AlbumItem.objects.bulk_create(new, ignore_conflicts=True)
        Album.objects.filter(pk=album.pk).update(updated_at=timezone.now())
    return [i for i in ids if i in found]


def _stills_for_clips(found: dict[str, Photo]) -> dict[str, Photo]:
    """A Live Photo's clip named by its id stands for its still: the pair is one item, as on
    the timeline (``imgbackup push --album`` names both files)."""
    clips = {photo.pk: i for i, photo in found.items() if photo.is_motion}
    for still in Photo.objects.filter(motion_id__in=clips, trashed_at__isnull=True):
        if still.motion_id in clips:
            found[clips.pop(still.motion_id)] = still
    for i in clips.values():  # a clip whose still is gone: not an item of its own
        del found[i]
    return found


def removable(album: Album, user: User, level: Level) -> QuerySet[AlbumItem]:
    items = album.items.all()
    return items if level is Level.OWNER else items.filter(photo__owner=user)


def remove_photos(album: Album, user: User, level: Level, ids: list[str]) -> list[str]:
    """Take these photos out of the album (the photos themselves stay where they are)."""
    rows = removable(album, user, level).filter(photo__original_id__in=ids)
    gone = set(rows.values_list("photo__original_id", flat=True))
    rows.delete()
    if album.cover_id is not None and not album.items.filter(photo_id=album.cover_id).exists():
        Album.objects.filter(pk=album.pk).update(cover=None)
    return [i for i in ids if i in gone]


def set_manual_order(album: Album, ids: list[str]) -> None:
    """Number the album's items in the order of ``ids``; items not named follow, as they were."""
    items = list(album.items.select_related("photo").order_by("position", "id"))
    rank = {photo_id: n for n, photo_id in enumerate(ids)}
    items.sort(key=lambda item: rank.get(item.photo.original_id, len(rank)))
    for n, item in enumerate(items):
        item.position = n
    AlbumItem.objects.bulk_update(items, ["position"])
