"""The web pages of sharing: the Albums page, one album, and the public page of a share link.
Thin, like web/views.py: the scripts draw them from the API."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from imgbackup.api.errors import ApiError
from imgbackup.sharing.access import Level, album_for, live_link
from imgbackup.web.views import page, signed_in, with_csp


@page
def albums(request: HttpRequest) -> HttpResponse:
    return render(request, "web/albums.html")


@page
def album(request: HttpRequest, album_id: str) -> HttpResponse:
    try:
        granted = album_for(signed_in(request), album_id)
    except ApiError:
        raise Http404("no such album") from None
    return render(request, "web/album.html", {"album": granted.album,
                                              "is_owner": granted.level is Level.OWNER})


@with_csp
def shared(request: HttpRequest, key: str) -> HttpResponse:
    """Anyone's page for a link; the password, when there is one, is asked by the script."""
    link = live_link(key)
    if link is None:
        raise Http404("no such link")
    response = render(request, "web/shared.html", {"key": key, "locked": bool(link.password)})
    response["Referrer-Policy"] = "no-referrer"  # the key is in this page's address
    response["X-Robots-Tag"] = "noindex"
    return response
