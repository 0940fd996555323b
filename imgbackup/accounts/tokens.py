"""API tokens: created shown-once, stored hashed, looked up by digest, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from imgbackup.accounts.models import ApiToken

PREFIX = "ib_"
# last_used_at is a hint for the tokens page; writing it on every request would turn every
# read into a database write.
LAST_USED_RESOLUTION = timedelta(minutes=5)


def digest(raw: str) -> str:
    # Tokens carry 256 random bits, so a plain SHA-256 is enough (no salt or slow hash needed).
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``user``; return it with the raw secret, which is never stored."""
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name[:100] or "token", digest=digest(raw),
                                    prefix=raw[: len(PREFIX) + 6])
    return token, raw


def user_for_token(raw: str) -> User | None:
    """The active user a raw token belongs to, or None."""
    if not raw.startswith(PREFIX) or len(raw) > 200:
        return None
    token = ApiToken.objects.select_related("user").filter(digest=digest(raw)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def revoke(user: User, token_id: int) -> bool:
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    return deleted > 0
