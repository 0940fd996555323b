"""The one call to WeChat's server: ``jscode2session`` turns a ``wx.login`` code into the
user's ``openid`` and ``session_key``.

WeChat answers HTTP 200 for its own errors and puts them in ``errcode``; the table below says
which of our API errors each one becomes. The request carries the app secret in its query
string, so neither the URL nor httpx's exception text is ever logged."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import httpx
from django.conf import settings

from imgbackup.api.errors import ApiError

log = logging.getLogger(__name__)

# A phone waits for this login; WeChat answers in well under a second when it is up.
TIMEOUT = httpx.Timeout(10.0, connect=5.0)

# errcode -> (HTTP status, error code, message for the client)
ERRORS: dict[int, tuple[int, str, str]] = {
    40029: (401, "wechat_invalid_code", "the WeChat login code is invalid or expired"),
    40163: (401, "wechat_invalid_code", "the WeChat login code was already used"),
    45011: (429, "wechat_rate_limited", "too many WeChat logins; try again in a minute"),
    40226: (403, "wechat_blocked", "WeChat blocked this login (high-risk user)"),
    -1: (503, "wechat_unavailable", "WeChat's login service is busy; try again"),
}


@dataclass(frozen=True)
class Session:
    openid: str
    session_key: str
    unionid: str


def unavailable(message: str) -> ApiError:
    return ApiError(503, "wechat_unavailable", message)


def code2session(code: str) -> Session:
    """Exchange ``code`` with WeChat. Raises ApiError for every way this can fail."""
    if not settings.WECHAT_APPID or not settings.WECHAT_SECRET:
        raise ApiError(503, "wechat_not_configured",
                       "WeChat login is not set up on this server "
                       "(IMGBACKUP_WECHAT_APPID and IMGBACKUP_WECHAT_SECRET)")
    params = {"appid": settings.WECHAT_APPID, "secret": settings.WECHAT_SECRET,
              "js_code": code, "grant_type": "authorization_code"}
    try:
        response = httpx.get(settings.WECHAT_CODE2SESSION_URL, params=params, timeout=TIMEOUT)
    except httpx.HTTPError as exc:
        log.warning("jscode2session failed: %s", type(exc).__name__)
        raise unavailable("cannot reach WeChat's login service; try again") from None
    if response.status_code != 200:
        log.warning("jscode2session answered HTTP %s", response.status_code)
        raise unavailable("WeChat's login service failed; try again")
    return _session(response.content)


def _session(content: bytes) -> Session:
    try:
        body = json.loads(content)
    except (ValueError, RecursionError):
        body = None
    if not isinstance(body, dict):
        log.warning("jscode2session answered something that is not a JSON object")
        raise unavailable("WeChat's login service gave an unreadable answer")
    errcode = body.get("errcode") or 0
    if errcode:
        log.info("jscode2session errcode %s: %s", errcode, body.get("errmsg", ""))
        status, code, message = ERRORS.get(
            errcode, (502, "wechat_error", f"WeChat refused the login (errcode {errcode})"))
        raise ApiError(status, code, message)
    openid, session_key = body.get("openid"), body.get("session_key")
    if not isinstance(openid, str) or not openid or not isinstance(session_key, str):
        raise unavailable("WeChat's login service gave no openid")
    unionid = body.get("unionid")
    return Session(openid, session_key, unionid if isinstance(unionid, str) else "")
