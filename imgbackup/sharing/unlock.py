"""Remembering, for one browser, that it gave a link's password.

The share page's images are plain ``<img>`` requests, which cannot carry the Share-Password
header; so the answer that accepted the password also sets a signed, HttpOnly cookie naming the
link and the password's hash. Changing the password or revoking the link makes the cookie
worthless; it lasts a day at most."""

from __future__ import annotations

from django.core import signing
from django.http import HttpRequest, HttpResponseBase

from imgbackup.sharing.models import ShareLink

MAX_AGE = 24 * 3600
SALT = "imgbackup.sharing.unlock"


def cookie_name(link: ShareLink) -> str:
    return f"share-{link.digest[:16]}"


def _value(link: ShareLink) -> str:
    return f"{link.digest}:{link.password[-16:]}"


def holds(request: HttpRequest, link: ShareLink) -> bool:
    raw = request.COOKIES.get(cookie_name(link))
    if not raw:
        return False
    try:
        value = signing.loads(raw, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return False
    return bool(value == _value(link))


def remember(request: HttpRequest, response: HttpResponseBase, link: ShareLink) -> None:
    if not link.password or holds(request, link):
        return
    response.set_cookie(cookie_name(link), signing.dumps(_value(link), salt=SALT),
                        max_age=MAX_AGE, httponly=True, samesite="Strict",
                        secure=request.is_secure())
