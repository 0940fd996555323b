"""What v2 answers are made of: the photo and token objects of docs/api.md."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from imgbackup.accounts.models import ApiToken
from imgbackup.photos.models import Photo
from imgbackup.photos.trash import purge_at

PREFIX = "/api/v2"


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def photo_json(photo: Photo) -> dict[str, Any]:
    original = photo.original
    base = f"{PREFIX}/photos/{original.sha256}"
    return {
        "id": original.sha256,
        "sha256": original.sha256,
        "md5": original.md5,
        "filename": photo.filename,
        "content_type": original.content_type,
        "size": original.size,
        "width": photo.width,
        "height": photo.height,
        "taken_at": iso(photo.taken_at),
        "taken_at_source": photo.taken_at_source,
        "camera_make": photo.camera_make,
        "camera_model": photo.camera_model,
        "lens": photo.lens,
        "latitude": photo.latitude,
        "longitude": photo.longitude,
        "uploaded_at": iso(photo.uploaded_at),
        "favourite": photo.favourite,
        "trashed_at": iso(photo.trashed_at),
        "purge_at": iso(purge_at(photo)),
        "urls": {"original": f"{base}/original", "thumbnail": f"{base}/thumbnail",
                 "preview": f"{base}/preview"},
    }


def token_json(token: ApiToken) -> dict[str, Any]:
    """A token as listed: never its secret, which only its creation answer shows."""
    return {"id": token.pk, "name": token.name, "prefix": token.prefix,
            "created_at": iso(token.created_at), "last_used_at": iso(token.last_used_at),
            "expires_at": iso(token.expires_at)}
