"""Start-up checks of the WeChat login settings."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register


@register()
def wechat_settings(**_: Any) -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    if bool(settings.WECHAT_APPID) != bool(settings.WECHAT_SECRET):
        problems.append(Warning(
            "WeChat login needs both IMGBACKUP_WECHAT_APPID and IMGBACKUP_WECHAT_SECRET; "
            "it answers 503 until both are set", id="imgbackup.wechat.W001"))
    url = urlsplit(settings.WECHAT_CODE2SESSION_URL)
    if url.scheme not in {"http", "https"} or not url.netloc:
        problems.append(Warning(
            f"IMGBACKUP_WECHAT_CODE2SESSION_URL is not an http(s) URL: "
            f"{settings.WECHAT_CODE2SESSION_URL!r}", id="imgbackup.wechat.W002"))
    if settings.WECHAT_LOGIN_LIMIT < 0 or settings.WECHAT_LOGIN_WINDOW_SECONDS < 1:
        problems.append(Error(
            "IMGBACKUP_WECHAT_LOGIN_LIMIT must be 0 (no limit) or more and "
            "IMGBACKUP_WECHAT_LOGIN_WINDOW_SECONDS 1 or more", id="imgbackup.wechat.E001"))
    return problems
