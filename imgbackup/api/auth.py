"""Authentication for every API view, in one place: a Bearer token, or the web app's session
(then with Django's CSRF check, since a browser sends the cookie on its own)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware

from imgbackup.accounts.tokens import user_for_token
from imgbackup.api.errors import ApiError

# A body that is refused unread can reach the client as a reset connection instead of the
# 401/413 (the WeChat uploader reports it as a network failure): read this much to answer.
DRAIN_LIMIT = 64 * 1024 * 1024


def drain(request: HttpRequest) -> None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return
    if 0 < length <= DRAIN_LIMIT and not getattr(request, "_read_started", False):
        stream = request.META.get("wsgi.input")
        remaining = length
        while remaining > 0 and stream is not None:
            chunk = stream.read(min(remaining, 256 * 1024))
            if not chunk:
                break
            remaining -= len(chunk)


def unauthenticated(request: HttpRequest, message: str) -> ApiError:
    drain(request)
    return ApiError(401, "not_authenticated", message)


def authenticate(request: HttpRequest) -> User:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header:
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise unauthenticated(request, "send the API token as 'Authorization: Bearer <token>'")
        user = user_for_token(raw.strip())
        if user is None:
            raise unauthenticated(request, "the API token is not valid (revoked or mistyped)")
        return user
    if request.user.is_authenticated:
        _check_csrf(request)
        return request.user
    raise unauthenticated(request, "authentication required: send 'Authorization: Bearer <token>'")


def _check_csrf(request: HttpRequest) -> None:
    def no_view(_: HttpRequest) -> HttpResponse:
        return HttpResponse()

    check = CsrfViewMiddleware(no_view)
    check.process_request(request)
    if check.process_view(request, no_view, (), {}) is not None:
        drain(request)
        raise ApiError(403, "csrf_failed", "CSRF check failed: send the X-CSRFToken header")
