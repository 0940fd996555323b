"""Short-lived signed playback URLs, for players that cannot send an Authorization header (the
WeChat mini program's ``<video>``, which also streams and seeks with Range requests, where
downloading the whole file first would be capped at 200 MB and 60 s).

Policy:
- ``GET /photos/{id}/playback-url`` (authenticated, the owner's photo only) answers a URL
  ``/api/v2/play/{token}`` that plays what ``/photos/{id}/playback`` plays, without a header;
- the token is signed with the server's secret key (Django's signing, its own salt) and names
  the user, the photo and the moment it expires: ten minutes plus the video's duration (so a
  film watched to its end keeps streaming), never more than ``MAX_VALID``;
- every request with it checks the signature, the expiry, that the user is still active and
  that the photo is still theirs: a changed token or another photo is 404, an expired one 410.
  The token cannot be revoked before it expires; its life is short for that reason."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.models import User
from django.core import signing
from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase

from imgbackup.api.auth import caller
from imgbackup.api.endpoint import endpoint
from imgbackup.api.errors import ApiError, not_found
from imgbackup.api.v2.lookups import photo_for_user
from imgbackup.api.v2.playback import play, require_video
from imgbackup.photos.models import Photo
from imgbackup.photos.playback import playback_of

SALT = "imgbackup.api.v2.playback_links"
BASE_VALID = 10 * 60  # seconds
MAX_VALID = 6 * 3600 + BASE_VALID  # the longest video admitted, plus the base
PREFIX = "/api/v2/play/"


def valid_for(photo: Photo) -> int:
    """Seconds a playback URL of ``photo`` lasts."""
    return int(min(MAX_VALID, BASE_VALID + max(0.0, float(photo.duration or 0))))


def sign(user_id: int, photo_id: str, expires: int) -> str:
    return signing.dumps({"u": user_id, "p": photo_id, "e": expires}, salt=SALT)


def verify(token: str, now: float) -> tuple[int, str]:
    """(user id, photo id) of a token this server signed and that has not expired.
    ApiError 404 for anything else that looks like one, 410 once it has expired."""
    try:
        claims: Any = signing.loads(token, salt=SALT)
        user_id, photo_id, expires = int(claims["u"]), str(claims["p"]), int(claims["e"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise not_found("playback link") from None
    if expires <= now:
        raise ApiError(410, "gone", "this playback link has expired; ask for a new one")
    return user_id, photo_id


@endpoint("GET")
def playback_url(request: HttpRequest, photo_id: str) -> HttpResponseBase:
    photo = photo_for_user(caller(request), photo_id)
    require_video(photo)
    found = playback_of(photo)
    if found.state in {"pending", "unavailable"}:
        return play(request, photo)  # 202 (ask again) or 404 (no copy can be made), as /playback
    expires = int(time.time()) + valid_for(photo)
    token = sign(caller(request).pk, photo.original_id, expires)
    answer = JsonResponse({"url": PREFIX + token,
                           "expires_at": datetime.fromtimestamp(expires, UTC).isoformat()})
    answer["Cache-Control"] = "no-store"
    return answer


@endpoint("GET", public=True)
def play_signed(request: HttpRequest, token: str) -> HttpResponseBase:
    user_id, photo_id = verify(token, time.time())
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise not_found("playback link")
    photo = photo_for_user(user, photo_id)
    require_video(photo)
    return play(request, photo)
