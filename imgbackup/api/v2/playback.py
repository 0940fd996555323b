"""GET /photos/{id}/playback: a video browsers play (see photos/playback.py)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase

from imgbackup.api.endpoint import endpoint
from imgbackup.api.errors import ApiError
from imgbackup.api.files import blob_response, original_response
from imgbackup.api.v2.lookups import photo_for_user
from imgbackup.photos.models import MediaType
from imgbackup.photos.playback import playback_of

RETRY_AFTER = 5  # seconds; a short clip's copy takes about that


@endpoint("GET")
def playback(request: HttpRequest, photo_id: str) -> HttpResponseBase:
    photo = photo_for_user(request.user, photo_id)  # type: ignore[arg-type]
    if photo.media_type != MediaType.VIDEO:
        raise ApiError(404, "not_found", "a photo has no playback; its bytes are at /original")
    found = playback_of(photo)
    if found.state == "original":
        return original_response(request, photo)
    if found.state == "copy":
        return blob_response(request, found.name, f'"{photo.sha256}-playback"', "video/mp4")
    if found.state == "unavailable":
        raise ApiError(404, "not_found", found.reason)
    answer = JsonResponse({"status": "pending", "retry_after": RETRY_AFTER,
                           "message": "a playable copy is being made; ask again"}, status=202)
    answer["Retry-After"] = str(RETRY_AFTER)
    answer["Cache-Control"] = "no-store"
    return answer
