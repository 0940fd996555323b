"""Who is calling, and their API tokens: POST /auth/token, GET /me, /tokens."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, JsonResponse

from imgbackup.accounts import throttle
from imgbackup.accounts.models import ApiToken
from imgbackup.accounts.tokens import create_token, revoke
from imgbackup.api.endpoint import endpoint
from imgbackup.api.errors import ApiError, not_found, throttled
from imgbackup.api.v2.params import json_body, text_field
from imgbackup.api.v2.serialize import token_json

TOKEN_ID = re.compile(r"[0-9]{1,18}")


@endpoint("POST", public=True)
def token_login(request: HttpRequest) -> HttpResponse:
    """Trade a user name and password for a new API token."""
    body = json_body(request, {"username", "password", "name"})
    username = text_field(body, "username")
    password = text_field(body, "password", max_length=4096)
    name = text_field(body, "name", required=False, max_length=100) or "api"
    if throttle.blocked(username, throttle.address_of(request)):
        return throttled(request, "too many failed logins for this user name; try again later",
                         settings.LOGIN_WINDOW_SECONDS)
    user = authenticate(request, username=username, password=password)
    if not isinstance(user, User):  # None (the failure is counted by accounts/throttle.py)
        raise ApiError(401, "not_authenticated", "wrong user name or password")
    # No session login here, so no user_logged_in signal: forget the failures ourselves.
    throttle.forget(username, throttle.address_of(request))
    return _created_token(user, name)


@endpoint("GET")
def me(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    return JsonResponse({"username": user.get_username(),
                         "is_admin": user.is_staff or user.is_superuser})


@endpoint("GET", "POST")
def tokens(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if request.method == "POST":
        body = json_body(request, {"name"})
        return _created_token(user, text_field(body, "name", max_length=100))
    rows = ApiToken.objects.filter(user=user).order_by("-created_at", "-id")
    return JsonResponse({"items": [token_json(row) for row in rows]})


@endpoint("DELETE")
def token(request: HttpRequest, token_id: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if not TOKEN_ID.fullmatch(token_id) or not revoke(user, int(token_id)):
        raise not_found("token")
    return HttpResponse(status=204)


def _created_token(user: User, name: str) -> JsonResponse:
    """201 with the raw token: the only answer that ever shows it."""
    assert isinstance(user, User)
    row, raw = create_token(user, name)
    return JsonResponse({"token": raw, **token_json(row)}, status=201)
