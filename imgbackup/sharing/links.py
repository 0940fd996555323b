"""Share-link workflows, as plain functions: every write to a link is here; the views check
access and turn the request's body into the link's fields (api_links.py).

A link is made with its key, its settings and the photos it names in one transaction, so a
link never exists without what it shares. Revoking deletes the row: its key is then as unknown
as one never handed out."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from imgbackup.photos.models import Photo
from imgbackup.sharing.models import Album, ShareLink, key_digest, new_share_key


def create(owner: User, fields: dict[str, Any], *, album: Album | None = None,
           photos: Iterable[Photo] | None = None) -> ShareLink:
    """A new link to ``album``, or to ``photos``, with these settings (``fields``)."""
    key = new_share_key()
    link = ShareLink(owner=owner, key=key, digest=key_digest(key), album=album, **fields)
    with transaction.atomic():
        link.save()
        if photos is not None:
            link.photos.set(photos)
    return link


def change(link: ShareLink, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        setattr(link, name, value)
    link.save()


def revoke(link: ShareLink) -> None:
    link.delete()
