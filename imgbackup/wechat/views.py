"""``POST /api/v2/auth/wechat {"code"}`` → ``{"token", "user": {"username"}}``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from imgbackup.api.endpoint import endpoint
from imgbackup.api.errors import ApiError, bad_request
from imgbackup.api.v2.params import json_body, text_field
from imgbackup.wechat.accounts import token_for, user_for_session
from imgbackup.wechat.code2session import code2session

# wx.login codes are 32 characters today; leave room without accepting arbitrary payloads.
MAX_CODE_LENGTH = 128


@endpoint("POST", public=True)
def login(request: HttpRequest) -> HttpResponse:
    code = _code(request)
    user = user_for_session(code2session(code))
    if not user.is_active:
        raise ApiError(403, "account_disabled", "this account is disabled")
    return JsonResponse({"token": token_for(user), "user": {"username": user.username}})


def _code(request: HttpRequest) -> str:
    code = text_field(json_body(request, {"code"}), "code", max_length=MAX_CODE_LENGTH).strip()
    if not code or not code.isprintable():
        raise bad_request('the "code" is not a wx.login code')
    return code
