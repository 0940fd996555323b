"""The web app's pages. They are thin: the timeline, viewer and trash are drawn in the browser
by the JS modules under static/web/js from the v2 API; the pages give them a frame, the
current user and a CSRF token."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render

from imgbackup.api.errors import ApiError, error_response
from imgbackup.api.v2.params import TRUE

# No inline script or style anywhere, so the browser can refuse all of it: a file name that
# slipped past escaping still could not run. blob: is for previews of files being uploaded.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' blob: data:{images}; media-src 'self'{images}; "
    "script-src 'self'; "
    "style-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


def content_security_policy() -> str:
    """With presigned S3 downloads, images may be redirected to the object store."""
    images = ""
    if settings.S3_PRESIGNED_DOWNLOADS:
        endpoint = urlsplit(settings.S3_ENDPOINT_URL)
        images = f" {endpoint.scheme}://{endpoint.netloc}" if endpoint.netloc else " https:"
    return CONTENT_SECURITY_POLICY.format(images=images)


View = Callable[..., HttpResponseBase]


def with_csp(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        response.setdefault("Content-Security-Policy", content_security_policy())
        return response

    return wrapper


def page(view: View) -> View:
    """A page for signed-in people; before the first account exists, everyone goes to setup."""

    @with_csp
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated and not User.objects.exists():
            return redirect("setup")
        return login_required(view)(request, *args, **kwargs)

    return wrapper


def signed_in(request: HttpRequest) -> User:
    """The user of a request that went through ``page``."""
    user = request.user
    assert isinstance(user, User)
    return user


SEARCH_FIELDS = ("since", "until", "camera", "place", "q")


@page
def timeline(request: HttpRequest) -> HttpResponse:
    search = {name: request.GET.get(name, "").strip() for name in SEARCH_FIELDS}
    # As the API reads it (favourite=true as well as the form's favourite=1); anything else
    # shows every photo.
    favourite = request.GET.get("favourite", "").lower() in TRUE
    return render(request, "web/timeline.html", {
        "search": search, "favourite": favourite,
        "searching": any(search.values()) or favourite,
        "max_upload_bytes": settings.MAX_UPLOAD_MB * 1024 * 1024,
    })


@page
def trash(request: HttpRequest) -> HttpResponse:
    return render(request, "web/trash.html", {"trash_days": settings.TRASH_DAYS})


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return error_response(request, ApiError(404, "not_found", f"no API at {request.path}"))
    return render(request, "web/error.html", {"message": "Page not found."}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return error_response(request, ApiError(500, "server_error", "internal error"))
    return render(request, "web/error.html", {"message": "Something went wrong."}, status=500)
