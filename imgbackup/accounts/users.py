"""Managing users: what the ``createuser`` command and the web's Users page both do.

Users are never deleted here: a backup service must not lose photos by a click. An admin is a
user with ``is_staff`` and ``is_superuser`` (``/api/v2/me`` reports either as ``is_admin``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from imgbackup.accounts.tokens import revoke_all

ADMINS = Q(is_staff=True) | Q(is_superuser=True)


def is_admin(user: User) -> bool:
    return bool(user.is_active and (user.is_staff or user.is_superuser))


def check_text(value: str, what: str) -> str:
    """``value`` unless it holds a lone surrogate: a command line's bytes that are not UTF-8
    arrive as those, and no database can store one (the driver fails: a traceback, a 500)."""
    try:
        value.encode()
    except UnicodeEncodeError:
        raise ValidationError(f"The {what} is not valid text (it is not UTF-8).") from None
    return value


def create_user(name: str, password: str, *, admin: bool = False) -> User:
    """Create a user after Django's password validators; raise ValidationError otherwise."""
    name = check_text(name, "user name").strip()
    check_text(password, "password")
    if not name:
        raise ValidationError("The user name is empty.")
    if User.objects.filter(username=name).exists():
        raise ValidationError(f"User {name!r} exists already.")
    user = User(username=name, is_staff=admin, is_superuser=admin)
    user.full_clean(exclude=["password"], validate_unique=False)  # the name's characters
    validate_password(password, user)
    user.set_password(password)
    user.save()
    return user


def save_first_admin(user: User) -> bool:
    """Save ``user`` (made, not yet saved, by the first-run form) as the first account, an
    admin; False, saving nothing, when an account exists by then (someone else was quicker)."""
    with transaction.atomic():
        if User.objects.exists():
            return False
        user.is_staff = user.is_superuser = True
        user.save()
    return True


def set_password(user: User, password: str, *, keep_token: int | None = None) -> int:
    """Give ``user`` a new password (already validated): every path that changes a password
    (own change on the web or the API, an admin's reset, ``imgbackup password``) comes here.
    Their sessions end, since each carries a hash of the old password, and their API tokens
    are revoked — the password may have leaked, and with it the tokens made with it — except
    the token with id ``keep_token`` (the one making the change, when its user asks to keep
    it). Return how many tokens were revoked."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        return revoke_all(user, keep=keep_token)


class LastAdmin(Exception):
    """The change would leave the server without an active admin."""


def _is_last_active_admin(user: User) -> bool:
    others = User.objects.filter(ADMINS, is_active=True).exclude(pk=user.pk)
    return is_admin(user) and not others.exists()


@contextmanager
def _keeping_an_admin(user: User, losing: bool, refusal: str) -> Iterator[None]:
    """A transaction for a change that may take ``user``'s admin rights away (``losing``),
    refused with LastAdmin when nobody else active would be left to manage the server. The
    admins' rows are locked: two admins removing each other at once cannot both succeed."""
    with transaction.atomic():
        list(User.objects.select_for_update().filter(ADMINS, is_active=True))
        if losing and _is_last_active_admin(user):
            raise LastAdmin(refusal)
        yield


def set_active(user: User, active: bool) -> None:
    """Enable or disable ``user``. A disabled user cannot sign in, and their sessions, API
    tokens and WeChat logins are refused (they stay stored, and work again once enabled)."""
    with _keeping_an_admin(user, not active, "the last active admin cannot be disabled"):
        user.is_active = active
        user.save(update_fields=["is_active"])


def set_admin(user: User, admin: bool) -> None:
    with _keeping_an_admin(user, not admin, "the last active admin cannot lose the admin flag"):
        user.is_staff = user.is_superuser = admin
        user.save(update_fields=["is_staff", "is_superuser"])
