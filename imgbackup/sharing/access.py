"""The one way sharing code fetches an album or a share link, scoped to who asks.

Every view goes through ``album_for`` (signed-in users) or ``link_for`` (anyone holding a key):
an album the caller may not act on in the way asked, like a malformed id, a revoked or expired
link, answers 404 — never 403, which would confirm that it exists.

Roles, weakest first: a **viewer** sees the album and downloads its photos; a **contributor**
also adds and removes their own photos; the **owner** does everything. Nobody but a photo's
owner ever changes or deletes the photo itself."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from enum import IntEnum

from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from imgbackup.accounts import throttle
from imgbackup.api.errors import ApiError, not_found
from imgbackup.photos.models import Photo
from imgbackup.sharing import unlock
from imgbackup.sharing.models import (
    Album,
    AlbumItem,
    AlbumMember,
    Partner,
    ShareLink,
    key_digest,
)

MAX_KEY = 100


class Level(IntEnum):
    VIEWER = 1
    CONTRIBUTOR = 2
    OWNER = 3


@dataclass(frozen=True)
class Granted:
    album: Album
    level: Level


def albums_visible_to(user: User) -> QuerySet[Album]:
    """The user's own albums and those shared with them."""
    return Album.objects.filter(Q(owner=user) | Q(members__user=user)).distinct()


def album_for(user: User, album_id: str, need: Level = Level.VIEWER) -> Granted:
    """The album with this id if ``user`` holds at least ``need`` on it; else a 404."""
    album = Album.objects.select_related("owner", "cover").filter(pk=album_id[:40]).first()
    if album is None:
        raise not_found("album")
    level = _level(user, album)
    if level is None or level < need:
        raise not_found("album")
    return Granted(album, level)


def _level(user: User, album: Album) -> Level | None:
    if album.owner_id == user.pk:
        return Level.OWNER
    role = AlbumMember.objects.filter(album=album, user=user).values_list("role", flat=True)
    found = role.first()
    if found is None:
        return None
    return Level.CONTRIBUTOR if found == "contributor" else Level.VIEWER


def album_items(album: Album) -> QuerySet[AlbumItem]:
    """The album's items whose photo is outside the trash, in the album's order (a Live
    Photo's clip is part of its still's item, never one of its own)."""
    rows = (AlbumItem.objects.select_related("photo__original", "photo__owner")
            .filter(album=album, photo__trashed_at__isnull=True, photo__is_motion=False))
    if album.order == "manual":
        return rows.order_by("position", "id")
    return rows.order_by("-photo__taken_at", "-photo__id")


def partner_photos(user: User, username: str) -> QuerySet[Photo]:
    """The timeline (outside the trash) of the user called ``username``, if they made ``user``
    their partner; else a 404."""
    if not Partner.objects.filter(owner__username=username, partner=user).exists():
        raise not_found("partner")
    return (Photo.objects.select_related("original")
            .filter(owner__username=username, trashed_at__isnull=True))


def link_for(request: HttpRequest, key: str) -> ShareLink:
    """The live link with this key, its password given (Share-Password header, or the cookie
    the share page set after the right one); 404 for an unknown, revoked or expired key, 401
    for a missing or wrong password, 429 after too many wrong ones (like logins)."""
    link = live_link(key)
    if link is None:
        raise not_found("share")
    if link.password:
        _check_password(request, link)
    return link


def live_link(key: str) -> ShareLink | None:
    """The link with this key unless it is unknown, revoked or expired; no password asked."""
    link = None
    if 0 < len(key) <= MAX_KEY:
        link = (ShareLink.objects.select_related("album", "owner")
                .filter(digest=key_digest(key)).first())
    # The lookup is by digest; this comparison of the keys themselves is in constant time.
    if link is None or not hmac.compare_digest(link.key.encode(), key.encode()):
        return None
    if link.expires_at is not None and link.expires_at <= timezone.now():
        return None
    return link


def _check_password(request: HttpRequest, link: ShareLink) -> None:
    if unlock.holds(request, link):
        return
    name, address = f"share:{link.digest}", throttle.address_of(request)
    if throttle.blocked(name, address):
        raise ApiError(429, "throttled", "too many wrong passwords for this link; try later")
    given = request.headers.get("Share-Password", "")
    if not given:
        raise ApiError(401, "password_required", "this link needs its password: send it in "
                       "the Share-Password header")
    if not check_password(given, link.password):
        throttle.record_failure(name, address)
        raise ApiError(401, "wrong_password", "wrong password for this link")
    throttle.forget(name, address)


def link_photos(link: ShareLink) -> list[Photo]:
    """Exactly the photos a link shows, in order: its album's, or the ones it names; never
    a trashed one."""
    if link.album is not None:
        return [item.photo for item in album_items(link.album)]
    return list(link.photos.select_related("original").filter(trashed_at__isnull=True)
                .order_by("-taken_at", "-id"))


def link_photo(link: ShareLink, photo_id: str) -> Photo:
    """One photo the link shows, by id; any other id (another of the owner's photos too) 404."""
    if link.album is not None:
        item = album_items(link.album).filter(photo__original_id=photo_id.lower()).first()
        photo = item.photo if item is not None else None
    else:
        photo = (link.photos.select_related("original")
                 .filter(trashed_at__isnull=True, original_id=photo_id.lower()).first())
    if photo is None:
        raise not_found()
    return photo
