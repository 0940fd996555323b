"""Login throttling, for every password check: after IMGBACKUP_LOGIN_MAX_FAILURES wrong passwords
for one user name from one address, every password check for that pair fails (the right password
too) until IMGBACKUP_LOGIN_WINDOW_SECONDS have passed since its first failure.

Keyed on (user name, address): a brake on guessing one account, not a lockout that others could
trigger from anywhere. The backend below refuses throttled pairs and the auth signals count, so
the web login form, POST /api/v2/auth/token and anything added later are throttled alike.
Counts live in Django's default cache: a file cache in the data folder, shared by the server's
worker processes (several app servers on separate machines each count on their own).

``spend`` is the other brake kept here, on the same counts: attempts at an action per address in
a fixed window, whatever their outcome (the WeChat login, which costs a call to WeChat)."""

from __future__ import annotations

import hashlib
import logging
import math
import time
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import HttpRequest

log = logging.getLogger(__name__)


def address_of(request: HttpRequest | None) -> str:
    """The client's address: REMOTE_ADDR as proxies.ClientAddressMiddleware left it (behind a
    trusted proxy, from X-Forwarded-For; otherwise the TCP peer)."""
    return str(request.META.get("REMOTE_ADDR", "")) if request is not None else ""


def _key(username: str, address: str) -> str:
    # Hashed: user names may hold characters that cache backends refuse in keys.
    pair = f"{username.casefold()}\x00{address}".encode()
    return "login-failures:" + hashlib.sha256(pair).hexdigest()


def blocked(username: str, address: str) -> bool:
    failures: int = cache.get(_key(username, address), 0)
    return failures >= int(settings.LOGIN_MAX_FAILURES)


def _count(key: str, timeout: int) -> int:
    """Add one to the count under ``key`` and answer the new count. The first one starts the
    key's expiry (add()); incr() keeps it."""
    if cache.add(key, 1, timeout=timeout):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add() and incr(): a new window
        cache.add(key, 1, timeout=timeout)
        return 1


def record_failure(username: str, address: str) -> None:
    _count(_key(username, address), int(settings.LOGIN_WINDOW_SECONDS))


def clock() -> float:
    """Seconds since the epoch, for ``spend``'s windows (tests move it)."""
    return time.time()


def spend(action: str, address: str, limit: int, window_seconds: int) -> int:
    """Count one attempt at ``action`` from ``address``. Windows are fixed, ``window_seconds``
    long and aligned on the clock, so no start time needs keeping: the window's number is part
    of the key. Answers 0 while this window holds at most ``limit`` attempts, else the seconds
    left in it (for Retry-After). A ``limit`` of 0 or less counts nothing and allows all."""
    if limit <= 0:
        return 0
    window_seconds = max(1, window_seconds)
    window, elapsed = divmod(clock(), window_seconds)
    place = f"{action}\x00{address}\x00{int(window)}".encode()
    key = "attempts:" + hashlib.sha256(place).hexdigest()
    if _count(key, window_seconds) <= limit:
        return 0
    return max(1, math.ceil(window_seconds - elapsed))


def forget(username: str, address: str) -> None:
    cache.delete(_key(username, address))


class ThrottledModelBackend(ModelBackend):
    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, **kwargs: Any) -> User | None:
        if username is not None and blocked(username, address_of(request)):
            log.warning("login refused: too many failed passwords for one user name")
            # PermissionDenied stops every backend; the failure signal still fires.
            raise PermissionDenied("too many failed logins; try again later")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and username is not None:
            # A right password forgets earlier failures, for a session login or a token alike.
            forget(username, address_of(request))
        return user


@receiver(user_login_failed)
def _count_failure(sender: object, credentials: dict[str, Any],
                   request: HttpRequest | None = None, **kwargs: Any) -> None:
    username = credentials.get("username")
    if isinstance(username, str):
        record_failure(username, address_of(request))


@receiver(user_logged_in)
def _forget_failures(sender: object, request: HttpRequest | None, user: AbstractBaseUser,
                     **kwargs: Any) -> None:
    forget(user.get_username(), address_of(request))
