"""POST /me/password: change your own password. Every API token of the account is revoked
(the password may have leaked, and tokens were made with it), except the one making the call
when it asks to keep it (``"keep_token": true``); the answer says how many were revoked."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate, update_session_auth_hash
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse

from imgbackup.accounts import throttle
from imgbackup.accounts.users import set_password
from imgbackup.api.auth import caller
from imgbackup.api.endpoint import endpoint
from imgbackup.api.errors import ApiError, bad_request, throttled
from imgbackup.api.v2.params import json_body, text_field


@endpoint("POST")
def change_password(request: HttpRequest) -> HttpResponse:
    user = caller(request)
    body = json_body(request, {"current_password", "new_password", "keep_token"})
    current = text_field(body, "current_password", max_length=4096)
    new = text_field(body, "new_password", max_length=4096)
    keep = body.get("keep_token", False)
    if not isinstance(keep, bool):
        raise bad_request("keep_token must be true or false")
    address = throttle.address_of(request)
    if throttle.blocked(user.username, address):
        return throttled(request, "too many failed password checks for this user name; try "
                         "again later", settings.LOGIN_WINDOW_SECONDS)
    # Through the authentication backends: a wrong password counts towards the login limit.
    if authenticate(request, username=user.username, password=current) is None:
        raise ApiError(403, "wrong_password", "current_password is not your password")
    try:
        validate_password(new, user)
    except ValidationError as exc:
        raise ApiError(400, "weak_password", " ".join(exc.messages)) from None
    kept = getattr(request, "api_token_id", None) if keep else None
    revoked = set_password(user, new, keep_token=kept)
    if request.session.get("_auth_user_id") is not None:
        update_session_auth_hash(request, user)  # a web session stays signed in here
    return JsonResponse({
        "revoked_tokens": revoked, "kept_token": kept is not None,
        "message": f"password changed; {revoked} API token(s) revoked"
                   + ("; the token making this call was kept" if kept is not None else ""),
    })
