"""Albums, the people they are shared with, and share links for people without an account.

An album holds references to photos, never copies: a photo stays its owner's whatever album it
is in, so trashing it hides it from every album (the item is kept and shows again on restore)
and destroying it removes it from every album (the item row cascades)."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models

from imgbackup.photos.models import Photo


def new_album_id() -> str:
    # Not a sequential number: an album's URL says nothing about how many albums exist.
    return secrets.token_urlsafe(12)


def new_share_key() -> str:
    return secrets.token_urlsafe(24)  # 192 random bits


def key_digest(key: str) -> str:
    """What a link is looked up by: the database compares this, never the key itself."""
    return hashlib.sha256(key.encode()).hexdigest()


class AlbumOrder(models.TextChoices):
    TAKEN = "taken", "date taken"
    MANUAL = "manual", "by hand"


class Role(models.TextChoices):
    VIEWER = "viewer", "viewer"
    CONTRIBUTOR = "contributor", "contributor"


class Album(models.Model):
    id = models.CharField(max_length=32, primary_key=True, default=new_album_id)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="albums")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5000)
    cover = models.ForeignKey(Photo, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    order = models.CharField(max_length=10, choices=AlbumOrder.choices,
                             default=AlbumOrder.TAKEN)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name


class AlbumItem(models.Model):
    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="items")
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="album_items")
    position = models.IntegerField(default=0)
    added_at = models.DateTimeField(auto_now_add=True)
    # Sent through a share link by someone without an account: the owner reviews these.
    guest = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["album", "photo"], name="photo_once_per_album"),
        ]

    def __str__(self) -> str:
        return f"{self.photo_id} in {self.album_id}"


class AlbumMember(models.Model):
    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="album_memberships")
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.VIEWER)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["album", "user"], name="member_once_per_album"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} of {self.album_id}"


class ShareLink(models.Model):
    """A link to an album, or to a fixed set of photos. Revoking deletes the row: a revoked
    key is then exactly as unknown as one never handed out."""

    digest = models.CharField(max_length=64, unique=True)
    key = models.CharField(max_length=64)  # shown again to its owner in the list
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="share_links")
    album = models.ForeignKey(Album, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="links")
    photos = models.ManyToManyField(Photo, related_name="+", blank=True)
    password = models.CharField(max_length=128, blank=True)  # a Django password hash
    expires_at = models.DateTimeField(null=True, blank=True)
    allow_download = models.BooleanField(default=True)
    allow_upload = models.BooleanField(default=False)
    show_metadata = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"link {self.key[:6]}… of {self.owner_id}"


class Partner(models.Model):
    """``owner`` lets ``partner`` see their whole timeline (never change it)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="partners")
    partner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="partner_of")
    created_at = models.DateTimeField(auto_now_add=True)
    # The partner's choice, not the owner's: show these photos in the partner's own timeline
    # (sharing/merged.py), read-only and marked as the owner's.
    in_timeline = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "partner"], name="partner_once"),
        ]

    def __str__(self) -> str:
        return f"{self.partner_id} sees {self.owner_id}"
