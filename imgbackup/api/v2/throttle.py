"""Slowing password guessing on POST /auth/token: after IMGBACKUP_LOGIN_MAX_FAILURES wrong
passwords for one user name from one address, that pair is refused until
IMGBACKUP_LOGIN_WINDOW_SECONDS have passed since its first failure.

Counts live in Django's cache (by default each server process's memory, so every process
counts on its own): a brake on guessing, not an account lockout that others could trigger
from anywhere."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def _key(username: str, address: str) -> str:
    # Hashed: user names may hold characters that cache backends refuse in keys.
    pair = f"{username.casefold()}\x00{address}".encode()
    return "login-failures:" + hashlib.sha256(pair).hexdigest()


def blocked(username: str, address: str) -> bool:
    failures: int = cache.get(_key(username, address), 0)
    return failures >= int(settings.LOGIN_MAX_FAILURES)


def record_failure(username: str, address: str) -> None:
    key = _key(username, address)
    # add() starts the window on the first failure; incr() keeps its expiry.
    if not cache.add(key, 1, timeout=int(settings.LOGIN_WINDOW_SECONDS)):
        try:
            cache.incr(key)
        except ValueError:  # expired between add() and incr(): a new window
            cache.add(key, 1, timeout=int(settings.LOGIN_WINDOW_SECONDS))


def forget(username: str, address: str) -> None:
    cache.delete(_key(username, address))
