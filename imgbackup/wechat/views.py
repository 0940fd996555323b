"""``POST /api/v2/auth/wechat {"code"}`` → ``{"token", "user": {"username"}}``."""

from __future__ import annotations

import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from imgbackup.accounts import throttle
from imgbackup.api.endpoint import endpoint
from imgbackup.api.errors import ApiError, bad_request, throttled
from imgbackup.api.v2.params import json_body
from imgbackup.wechat.accounts import (
    SignupClosed,
    awaiting_approval,
    token_for,
    user_for_session,
)
from imgbackup.wechat.code2session import code2session

# wx.login codes are 32 letters and digits today; leave room without accepting arbitrary
# payloads. The OpenAPI schema (api/v2/schemas.py WechatLogin) says the same.
CODE = re.compile(r"[!-~]{1,128}")


@endpoint("POST", public=True)
def login(request: HttpRequest) -> HttpResponse:
    code = _code(request)
    # Every exchange spends the app's WeChat quota, whatever WeChat answers; once it is gone
    # WeChat refuses (45011) every user. So the attempt is counted before WeChat is called.
    wait = throttle.spend("wechat-login", throttle.address_of(request),
                          settings.WECHAT_LOGIN_LIMIT, settings.WECHAT_LOGIN_WINDOW_SECONDS)
    if wait:
        return throttled(request, "too many WeChat logins from this address; try again later",
                         wait)
    try:
        user = user_for_session(code2session(code))
    except SignupClosed:
        raise ApiError(403, "signup_closed", "this server takes no new WeChat users; ask its "
                       "admin for an account") from None
    if awaiting_approval(user):
        raise ApiError(403, "approval_required", f"your account {user.username} waits for an "
                       "admin to enable it on the Users page; log in again once they have")
    if not user.is_active:
        raise ApiError(403, "account_disabled", "this account is disabled")
    return JsonResponse({"token": token_for(user), "user": {"username": user.username}})


def _code(request: HttpRequest) -> str:
    code = json_body(request, {"code"}).get("code")
    if not isinstance(code, str) or not CODE.fullmatch(code):
        raise bad_request('"code" must be the code from wx.login (printable ASCII, no spaces)')
    return code
