"""What the sharing API answers: albums, their items, members and share links."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from imgbackup.api.v2.serialize import PREFIX, iso, photo_json
from imgbackup.photos.models import Photo
from imgbackup.sharing.access import Level, album_items
from imgbackup.sharing.models import Album, ShareLink

ROLES = {Level.OWNER: "owner", Level.CONTRIBUTOR: "contributor", Level.VIEWER: "viewer"}
# Hidden from a link's guests unless the link shows metadata: where, with what, and when.
PRIVATE_FIELDS = ("filename", "latitude", "longitude", "camera_make", "camera_model", "lens",
                  "taken_at", "taken_at_source", "uploaded_at")


def album_json(album: Album, level: Level, count: int) -> dict[str, Any]:
    cover = album.cover.sha256 if album.cover is not None else None
    shown = cover or (_first_photo(album) if count else None)
    base = f"{PREFIX}/albums/{album.pk}"
    return {
        "id": album.pk,
        "name": album.name,
        "description": album.description,
        "owner": album.owner.get_username(),
        "role": ROLES[level],
        "order": album.order,
        "count": count,
        "cover": cover,
        "cover_url": f"{base}/photos/{shown}/thumbnail" if shown else None,
        "created_at": iso(album.created_at),
        "updated_at": iso(album.updated_at),
        "members": [{"username": m.user.get_username(), "role": m.role}
                    for m in album.members.select_related("user").order_by("added_at")],
    }


def _first_photo(album: Album) -> str | None:
    """The photo an album without a chosen cover shows: its first, in the album's order."""
    first: str | None = album_items(album).values_list("photo__original_id", flat=True).first()
    return first


def album_item_json(album: Album, photo: Photo, guest: bool) -> dict[str, Any]:
    """A photo as an album's members see it: its bytes through the album's URLs."""
    item = photo_json(photo)
    base = f"{PREFIX}/albums/{album.pk}/photos/{photo.sha256}"
    item["urls"] = {kind: f"{base}/{kind}" for kind in ("original", "thumbnail", "preview")}
    item["owner"] = photo.owner.get_username()
    item["guest_upload"] = guest
    return item


def link_item_json(link: ShareLink, photo: Photo) -> dict[str, Any]:
    """A photo as a link's guest sees it: no favourite, no trash, metadata only if shown."""
    item = photo_json(photo)
    for private in ("favourite", "trashed_at", "purge_at", "md5"):
        item.pop(private, None)
    if not link.show_metadata:
        for field in PRIVATE_FIELDS:
            item[field] = None
    base = f"{PREFIX}/s/{link.key}/photos/{photo.sha256}"
    item["urls"] = {"thumbnail": f"{base}/thumbnail", "preview": f"{base}/preview",
                    "original": f"{base}/original" if link.allow_download else None}
    return item


def link_json(request: HttpRequest, link: ShareLink) -> dict[str, Any]:
    return {
        "key": link.key,
        "url": request.build_absolute_uri(f"/s/{link.key}"),
        "album": link.album_id,
        "ids": None if link.album_id else [p.original_id for p in link.photos.all()],
        "has_password": bool(link.password),
        "expires_at": iso(link.expires_at),
        "allow_download": link.allow_download,
        "allow_upload": link.allow_upload,
        "show_metadata": link.show_metadata,
        "created_at": iso(link.created_at),
    }
