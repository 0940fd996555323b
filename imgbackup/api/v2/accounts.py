"""Who is calling, and their API tokens: POST /auth/token, GET /me, /tokens."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, JsonResponse

from imgbackup.accounts import throttle
from imgbackup.accounts.models import ApiToken
from imgbackup.accounts.quotas import quota_of
from imgbackup.accounts.tokens import TokenNameTaken, create_token, revoke
from imgbackup.api.auth import caller
from imgbackup.api.endpoint import endpoint
from imgbackup.api.errors import ApiError, bad_request, not_found, throttled
from imgbackup.api.v2.params import json_body, text_field
from imgbackup.api.v2.serialize import token_json
from imgbackup.photos.quota import usage_of

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
    return _created_token(user, name, numbered=True)


@endpoint("GET")
def me(request: HttpRequest) -> HttpResponse:
    user = caller(request)
    return JsonResponse({"username": user.get_username(),
                         "is_admin": user.is_staff or user.is_superuser,
                         "usage_bytes": usage_of(user), "quota_bytes": quota_of(user)})


@endpoint("GET", "POST")
def tokens(request: HttpRequest) -> HttpResponse:
    user = caller(request)
    if request.method == "POST":
        body = json_body(request, {"name", "expires_at"})
        return _created_token(user, text_field(body, "name", max_length=100),
                              _expiry(body.get("expires_at")))
    rows = ApiToken.objects.filter(user=user).order_by("-created_at", "-id")
    return JsonResponse({"items": [token_json(row) for row in rows]})


@endpoint("DELETE")
def token(request: HttpRequest, token_id: str) -> HttpResponse:
    user = caller(request)
    if not TOKEN_ID.fullmatch(token_id) or not revoke(user, int(token_id)):
        raise not_found("token")
    return HttpResponse(status=204)


def _created_token(user: User, name: str, expires_at: datetime | None = None, *,
                   numbered: bool = False) -> JsonResponse:
    """201 with the raw token: the only answer that ever shows it. 409 ``name_taken`` when
    the user has a token of that name (a login's token is numbered instead)."""
    assert isinstance(user, User)
    try:
        row, raw = create_token(user, name, expires_at, numbered=numbered)
    except TokenNameTaken as exc:
        raise ApiError(409, "name_taken", str(exc)) from None
    return JsonResponse({"token": raw, **token_json(row)}, status=201)


def _expiry(value: object) -> datetime | None:
    """``expires_at``: an ISO 8601 instant (naive means UTC), or null. One already past makes
    a token refused from the start: allowed, as the OpenAPI schema cannot say "future"."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise bad_request("expires_at must be an ISO 8601 date-time, e.g. "
                          "2027-01-31T00:00:00Z, or null")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
