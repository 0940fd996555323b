"""Authentication for every API view, in one place: a Bearer token, or the web app's session
(then with Django's CSRF check, since a browser sends the cookie on its own)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware

from imgbackup.accounts.tokens import token_for
from imgbackup.api.errors import ApiError


def unauthenticated(request: HttpRequest, message: str) -> ApiError:
    """401. The body is not read: the server answers at once and closes the connection
    (imgbackup/slow_clients.py), as DESIGN.md allows for a request not authenticated."""
    return ApiError(401, "not_authenticated", message)


def authenticate(request: HttpRequest) -> User:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header:
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise unauthenticated(request, "send the API token as 'Authorization: Bearer <token>'")
        token = token_for(raw.strip())
        if token is None:
            raise unauthenticated(request, "the API token is not valid (revoked, expired or "
                                  "mistyped)")
        request.api_token_id = token.pk  # type: ignore[attr-defined]
        return token.user
    if request.user.is_authenticated:
        _check_csrf(request)
        return request.user
    raise unauthenticated(request, "authentication required: send 'Authorization: Bearer <token>'")


def caller(request: HttpRequest) -> User:
    """The user a view wrapped by ``endpoint`` (not public) runs for: authenticate()'s answer,
    which endpoint put in ``request.user`` before the view ran."""
    return request.user  # type: ignore[return-value]


def _check_csrf(request: HttpRequest) -> None:
    def no_view(_: HttpRequest) -> HttpResponse:
        return HttpResponse()

    # Judged by the method sent: a POST that X-HTTP-Method-Override answers as HEAD (endpoint)
    # is checked like any POST.
    answered_as, request.method = request.method, request.META.get("REQUEST_METHOD")
    try:
        check = CsrfViewMiddleware(no_view)
        check.process_request(request)
        refused = check.process_view(request, no_view, (), {})
    finally:
        request.method = answered_as
    if refused is not None:
        raise ApiError(403, "csrf_failed", "CSRF check failed: send the X-CSRFToken header")
