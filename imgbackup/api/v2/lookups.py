"""The one way a v2 view fetches a user's photo: scoped to its owner, so anyone else's photo,
like a malformed id, is a 404 (never a 403 that would confirm it exists)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet

from imgbackup.api.errors import not_found
from imgbackup.photos.ingest import HEX64
from imgbackup.photos.models import Photo


def photos_of(user: User) -> QuerySet[Photo]:
    return Photo.objects.select_related("original", "motion__original").filter(owner=user)


def photo_for_user(user: User, photo_id: str) -> Photo:
    """``user``'s photo with this id (its SHA-256 hex), in the trash or not; else a 404."""
    photo_id = photo_id.lower()
    if not HEX64.fullmatch(photo_id):
        raise not_found()
    photo = photos_of(user).filter(original_id=photo_id).first()
    if photo is None:
        raise not_found()
    return photo
