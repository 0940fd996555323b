"""The sharing app's web pages, mounted at the site root beside web/urls.py."""

from __future__ import annotations

from django.urls import path

from imgbackup.access import public, signed_in
from imgbackup.sharing import pages

urlpatterns = [
    path("albums", signed_in(pages.albums), name="albums"),
    path("albums/<str:album_id>", signed_in(pages.album), name="album"),
    path("s/<str:key>", public(pages.shared), name="shared"),
]
