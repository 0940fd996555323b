"""Routes of albums and share links in API v2, mounted at /api/v2/ beside api/v2/urls.py.
Keep in step with sharing/openapi.py and docs/api.md."""

from __future__ import annotations

from django.urls import path

from imgbackup.sharing import api_albums, api_links, api_partners

urlpatterns = [
    path("albums", api_albums.collection),
    path("albums/<str:album_id>", api_albums.detail),
    path("albums/<str:album_id>/photos", api_albums.photos),
    path("albums/<str:album_id>/photos/<str:photo_id>/original", api_albums.original),
    path("albums/<str:album_id>/photos/<str:photo_id>/thumbnail", api_albums.thumbnail),
    path("albums/<str:album_id>/photos/<str:photo_id>/preview", api_albums.preview),
    path("albums/<str:album_id>/members", api_albums.members),
    path("albums/<str:album_id>/members/<str:username>", api_albums.member),
    path("partners", api_partners.collection),
    path("partners/<str:username>", api_partners.detail),
    path("partners/<str:username>/photos", api_partners.photos),
    path("partners/<str:username>/photos/<str:photo_id>/original", api_partners.original),
    path("partners/<str:username>/photos/<str:photo_id>/thumbnail", api_partners.thumbnail),
    path("partners/<str:username>/photos/<str:photo_id>/preview", api_partners.preview),
    path("partners/<str:username>/photos/<str:photo_id>/playback", api_partners.playback),
    path("partners/<str:username>/photos/<str:photo_id>/motion", api_partners.motion),
    path("shares", api_links.collection),
    path("shares/<str:key>", api_links.detail),
    path("s/<str:key>", api_links.public),
    path("s/<str:key>/zip", api_links.archive),
    path("s/<str:key>/upload", api_links.upload),
    path("s/<str:key>/photos/<str:photo_id>/original", api_links.original),
    path("s/<str:key>/photos/<str:photo_id>/thumbnail", api_links.thumbnail),
    path("s/<str:key>/photos/<str:photo_id>/preview", api_links.preview),
]
