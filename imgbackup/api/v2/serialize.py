"""What v2 answers are made of: the photo and token objects of docs/api.md."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from imgbackup.accounts.models import ApiToken
from imgbackup.photos.models import MediaType, Photo
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
        "place": place_json(photo),
        "uploaded_at": iso(photo.uploaded_at),
        "favourite": photo.favourite,
        "trashed_at": iso(photo.trashed_at),
        "media_type": photo.media_type,
        "duration": photo.duration,
        "video": _video(photo),
        "has_motion": has_motion(photo),
        "motion": _motion(photo),
        "purge_at": iso(purge_at(photo)),
        "urls": _urls(base, photo),
    }


def _urls(base: str, photo: Photo) -> dict[str, str]:
    urls = {"original": f"{base}/original", "thumbnail": f"{base}/thumbnail",
            "preview": f"{base}/preview"}
    if photo.media_type == MediaType.VIDEO:
        urls["playback"] = f"{base}/playback"
    if has_motion(photo):
        urls["motion"] = f"{base}/motion"
    return urls


def has_motion(photo: Photo) -> bool:
    return photo.motion_id is not None or photo.motion_offset is not None


def _motion(photo: Photo) -> dict[str, Any] | None:
    """A Live Photo's clip: its own id (for its original bytes) and file name."""
    clip = photo.motion if photo.motion_id is not None else None
    if clip is None:
        return None
    return {"id": clip.original_id, "filename": clip.filename, "size": clip.original.size,
            "content_type": clip.original.content_type,
            "original": f"{PREFIX}/photos/{clip.original_id}/original"}


def _video(photo: Photo) -> dict[str, Any] | None:
    if photo.media_type != MediaType.VIDEO:
        return None
    return {"fps": photo.fps, "video_codec": photo.video_codec,
            "audio_codec": photo.audio_codec}


def place_json(photo: Photo) -> dict[str, str] | None:
    if not photo.place_key:
        return None
    return {"city": photo.place_city, "region": photo.place_region,
            "country": photo.place_country, "country_code": photo.place_country_code}


def token_json(token: ApiToken) -> dict[str, Any]:
    """A token as listed: never its secret, which only its creation answer shows."""
    return {"id": token.pk, "name": token.name, "prefix": token.prefix,
            "created_at": iso(token.created_at), "last_used_at": iso(token.last_used_at),
            "expires_at": iso(token.expires_at)}
