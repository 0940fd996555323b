"""API tokens: created shown-once, stored hashed, looked up by digest, revocable, optionally
expiring; a token's name is unique among its user's tokens. A password change revokes them
(accounts/users.py ``set_password``)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from imgbackup.accounts.models import ApiToken
from imgbackup.statements import Rows, Sql, Statement

PREFIX = "ib_"
# last_used_at is a hint for the tokens page; writing it on every request would turn every
# read into a database write.
LAST_USED_RESOLUTION = timedelta(minutes=5)


# token_for runs on every API request: one statement built once, not the ORM's select_related
# query compiled per call (~1.5 ms of CPU per request; bench/analysis.md, item 1b).
_TOKENS, _USERS = Rows(ApiToken), Rows(User)
_TOKEN_USER = ApiToken._meta.get_field("user")


def _by_digest(sql: Sql) -> str:
    user = sql.column(ApiToken, "user", "t")
    return (f"SELECT {_TOKENS.columns(sql, 't')}, {_USERS.columns(sql, 'u')} "  # noqa: S608
            f"FROM {sql.table(ApiToken, 't')} JOIN {sql.table(User, 'u')} "
            f"ON {sql.column(User, 'id', 'u')} = {user} "
            f"WHERE {sql.column(ApiToken, 'digest', 't')} = %s")


_BY_DIGEST = Statement(_by_digest)


class TokenNameTaken(ValueError):
    """The user has a token of that name already."""

    def __init__(self, name: str) -> None:
        super().__init__(f"you have a token named {name!r} already: choose another name "
                         "(or revoke that one first)")


def digest(raw: str) -> str:
    # Tokens carry 256 random bits, so a plain SHA-256 is enough (no salt or slow hash needed).
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(user: User, name: str, expires_at: datetime | None = None, *,
                 numbered: bool = False) -> tuple[ApiToken, str]:
    """Create a token for ``user``; return it with the raw secret, which is never stored.
    A name the user has already raises TokenNameTaken, or with ``numbered`` (names the
    server chooses: logins, ``imgbackup token``) becomes "name (2)", "name (3)"..."""
    name = name.strip()[:100] or "token"
    for _attempt in range(5):
        chosen = _free_name(user, name) if numbered else name
        raw = PREFIX + secrets.token_urlsafe(32)
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(user=user, name=chosen, digest=digest(raw),
                                                prefix=raw[: len(PREFIX) + 6],
                                                expires_at=expires_at)
        except IntegrityError:
            if not ApiToken.objects.filter(user=user, name=chosen).exists():
                raise
            if not numbered:
                raise TokenNameTaken(name) from None
            continue  # another request took that number meanwhile
        return token, raw
    raise TokenNameTaken(name)


def _free_name(user: User, name: str) -> str:
    base = name[:90]
    taken = set(ApiToken.objects.filter(user=user, name__startswith=base)
                .values_list("name", flat=True))
    if name not in taken:
        return name
    n = 2
    while f"{base} ({n})" in taken:
        n += 1
    return f"{base} ({n})"


def token_for(raw: str) -> ApiToken | None:
    """The token ``raw`` is, if it is valid: not revoked, not expired, its user active."""
    if not raw.startswith(PREFIX) or len(raw) > 200:
        return None
    row = _BY_DIGEST.row([digest(raw)])
    if row is None:
        return None
    token, user = _TOKENS.load(row), _USERS.load(row, _TOKENS.width)
    _TOKEN_USER.set_cached_value(token, user)  # as select_related does
    if not user.is_active:
        return None
    now = timezone.now()
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def user_for_token(raw: str) -> User | None:
    """The active user a raw token belongs to, or None."""
    token = token_for(raw)
    return token.user if token is not None else None


def revoke(user: User, token_id: int) -> bool:
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    return deleted > 0


def revoke_all(user: User, keep: int | None = None) -> int:
    """Revoke every token of ``user`` but the one with id ``keep``; return how many."""
    tokens = ApiToken.objects.filter(user=user)
    if keep is not None:
        tokens = tokens.exclude(pk=keep)
    deleted, _ = tokens.delete()
    return deleted
