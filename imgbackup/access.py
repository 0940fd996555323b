"""What each URL needs, declared on its view.

The permission-matrix test (tests/security/test_permission_matrix.py) walks the whole URL
configuration and calls every view as its owner, as another user and anonymously, checking the
answer against this declaration; a view without one fails that test. API views declare through
``@endpoint`` (public or not); other views are wrapped in urls.py with ``public``,
``signed_in`` or ``admin_only``."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

V = TypeVar("V")
ATTRIBUTE = "imgbackup_access"


class Access(StrEnum):
    PUBLIC = "public"  # anyone, signed in or not (sign-in and first-run pages, health check)
    USER = "user"  # a signed-in user; every object it reaches is scoped to that user
    ADMIN = "admin"  # a signed-in admin; anyone else signed in gets 404, as for a missing page


def declare(access: Access, view: V) -> V:
    setattr(view, ATTRIBUTE, access)
    return view


def public(view: V) -> V:
    return declare(Access.PUBLIC, view)


def signed_in(view: V) -> V:
    return declare(Access.USER, view)


def admin_only(view: V) -> V:
    return declare(Access.ADMIN, view)


def access_of(view: Any) -> Access | None:
    found = getattr(view, ATTRIBUTE, None)
    return found if isinstance(found, Access) else None
