"""Videos to play: GET /photos/{id}/playback (a video, see photos/playback.py) and
GET /photos/{id}/motion (a Live Photo's clip, or a Motion Photo's embedded one)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase

from imgbackup.api.auth import caller
from imgbackup.api.endpoint import endpoint
from imgbackup.api.errors import ApiError
from imgbackup.api.files import blob_response, original_response
from imgbackup.api.v2.lookups import photo_for_user
from imgbackup.photos.derived import DerivedImageUnavailable
from imgbackup.photos.models import MediaType, Photo
from imgbackup.photos.motion import embedded_clip
from imgbackup.photos.playback import playback_of

RETRY_AFTER = 5  # seconds; a short clip's copy takes about that


@endpoint("GET")
def playback(request: HttpRequest, photo_id: str) -> HttpResponseBase:
    return play_video(request, photo_for_user(caller(request), photo_id))


@endpoint("GET")
def motion(request: HttpRequest, photo_id: str) -> HttpResponseBase:
    return play_motion(request, photo_for_user(caller(request), photo_id))


def require_video(photo: Photo) -> None:
    if photo.media_type != MediaType.VIDEO:
        raise ApiError(404, "not_found", "a photo has no playback; its bytes are at /original")


def play_video(request: HttpRequest, photo: Photo) -> HttpResponseBase:
    """A video's playable bytes, however the caller may see it (their own, a partner's)."""
    require_video(photo)
    return play(request, photo)


def play_motion(request: HttpRequest, photo: Photo) -> HttpResponseBase:
    """A Live Photo's clip, or a Motion Photo's embedded one."""
    if photo.motion is not None:
        return play(request, photo.motion)
    if photo.motion_offset is not None:
        try:
            name = embedded_clip(photo.original, photo.motion_offset)
        except DerivedImageUnavailable as exc:
            raise ApiError(404, "not_found", f"no motion: {exc}") from None
        return blob_response(request, name, f'"{photo.sha256}-motion"', "video/mp4")
    raise ApiError(404, "not_found", "this photo has no motion (not a Live or Motion Photo)")


def play(request: HttpRequest, video: Photo) -> HttpResponseBase:
    found = playback_of(video)
    if found.state == "original":
        return original_response(request, video)
    if found.state == "copy":
        return blob_response(request, found.name, f'"{video.sha256}-playback"', "video/mp4")
    if found.state == "unavailable":
        raise ApiError(404, "not_found", found.reason)
    answer = JsonResponse({"status": "pending", "retry_after": RETRY_AFTER,
                           "message": "a playable copy is being made; ask again"}, status=202)
    answer["Retry-After"] = str(RETRY_AFTER)
    answer["Cache-Control"] = "no-store"
    return answer
