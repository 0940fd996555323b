"""Routes of API v2, mounted at /api/v2/. Keep in step with openapi.py and docs/api.md."""

from __future__ import annotations

from django.urls import path

from imgbackup.api import tus
from imgbackup.api.v2 import (
    accounts,
    bulk,
    docs,
    password,
    photos,
    places,
    playback,
    playback_links,
    timeline,
    trash,
    upload,
)

urlpatterns = [
    # The upload paths first: Django tries each route in turn, ~1-2 us apiece, on every
    # request (none of these overlaps another route).
    path("photos", photos.collection),
    path("uploads/", tus.creation),
    path("uploads/<str:upload_id>", tus.upload_url),
    path("auth/token", accounts.token_login),
    path("me", accounts.me),
    path("me/password", password.change_password),
    path("tokens", accounts.tokens),
    path("tokens/<str:token_id>", accounts.token),
    path("photos/check", upload.check),
    path("photos/bulk", bulk.bulk),
    path("photos/zip", bulk.archive),
    path("photos/<str:photo_id>", photos.detail),
    path("photos/<str:photo_id>/original", photos.original),
    path("photos/<str:photo_id>/thumbnail", photos.thumbnail),
    path("photos/<str:photo_id>/preview", photos.preview),
    path("photos/<str:photo_id>/playback", playback.playback),
    path("photos/<str:photo_id>/motion", playback.motion),
    path("photos/<str:photo_id>/playback-url", playback_links.playback_url),
    path("play/<str:token>", playback_links.play_signed),
    path("photos/<str:photo_id>/restore", photos.restore),
    path("timeline/buckets", timeline.buckets),
    path("timeline/buckets/<str:month>", timeline.bucket),
    path("places", places.collection),
    path("trash", trash.collection),
    path("trash/<str:photo_id>", trash.item),
    path("openapi.json", docs.openapi_json),
    path("docs", docs.docs_page),
]
