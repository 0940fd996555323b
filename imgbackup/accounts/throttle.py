"""Login throttling: after IMGBACKUP_LOGIN_ATTEMPTS failed passwords for one user name from one
address, every password check for that pair fails, the right one too, until
IMGBACKUP_LOGIN_LOCKOUT_MINUTES have passed since the last failure.

Keyed on (user name, client address): an attacker guessing one account from one address is
stopped, and cannot lock the owner out from another address. Counters live in the "throttle"
cache, shared by the server's worker processes."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import caches
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import HttpRequest

log = logging.getLogger(__name__)


def _key(username: str, request: HttpRequest | None) -> str:
    address = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    # Hashed: user names and addresses are not written into cache file names as they are.
    raw = f"{username.strip().lower()}|{address}".encode()
    return "login-failures:" + hashlib.sha256(raw).hexdigest()


def failures(username: str, request: HttpRequest | None) -> int:
    return int(caches["throttle"].get(_key(username, request), 0))


def is_throttled(username: str, request: HttpRequest | None) -> bool:
    return failures(username, request) >= settings.LOGIN_ATTEMPTS


class ThrottledModelBackend(ModelBackend):
    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, **kwargs: Any) -> User | None:
        if username is not None and is_throttled(username, request):
            log.warning("login throttled after %d failures", settings.LOGIN_ATTEMPTS)
            # PermissionDenied stops every backend and counts as one more failure.
            raise PermissionDenied("too many failed logins; try again later")
        return super().authenticate(request, username=username, password=password, **kwargs)


@receiver(user_login_failed)
def _count_failure(sender: object, credentials: dict[str, Any],
                   request: HttpRequest | None = None, **kwargs: Any) -> None:
    username = credentials.get("username")
    if not isinstance(username, str):
        return
    key = _key(username, request)
    cache = caches["throttle"]
    cache.set(key, int(cache.get(key, 0)) + 1, timeout=settings.LOGIN_LOCKOUT_MINUTES * 60)


@receiver(user_logged_in)
def _forget_failures(sender: object, request: HttpRequest | None, user: AbstractBaseUser,
                     **kwargs: Any) -> None:
    caches["throttle"].delete(_key(user.get_username(), request))
