"""How the server commands that act on one existing user (``password``, ``quota``, ``token``)
find them by name."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from imgbackup.accounts.users import check_text


def named_user(name: str, *, active_only: bool = False) -> User:
    """The user called ``name`` (an active one, with ``active_only``), else a CommandError;
    a name that is not text (a command line's bytes that are not UTF-8) is refused before the
    database is asked, which could not take it."""
    try:
        check_text(name, "user name")
    except ValidationError as exc:
        raise CommandError(" ".join(exc.messages)) from None
    users = User.objects.filter(username=name)
    user = (users.filter(is_active=True) if active_only else users).first()
    if user is None:
        raise CommandError(f"no {'active ' if active_only else ''}user {name!r}")
    return user
