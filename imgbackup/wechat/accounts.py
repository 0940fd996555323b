"""Find or create the user behind a WeChat openid, and give them an API token."""

from __future__ import annotations

import hashlib
import re

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q

from imgbackup.accounts.models import ApiToken
from imgbackup.accounts.tokens import create_token
from imgbackup.wechat.code2session import Session
from imgbackup.wechat.models import WechatAccount

TOKEN_NAME = "WeChat mini program"  # noqa: S105  (a label shown on the tokens page)
# Every login makes a token; keep the newest few (one per phone, say) so they do not pile up.
TOKENS_KEPT = 5


def user_for_session(session: Session) -> User:
    """The user linked to ``session.openid``, created on the first login.

    The session_key is replaced at every login: it is only valid with WeChat until then."""
    for _attempt in range(3):
        try:
            with transaction.atomic():
                account = (WechatAccount.objects.select_related("user")
                           .filter(openid=session.openid).first())
                if account is None:
                    account = WechatAccount(user=_new_user(session.openid),
                                            openid=session.openid)
                account.session_key = session.session_key
                account.unionid = session.unionid or account.unionid
                account.save()
                return account.user
        except IntegrityError:
            # The same person's first login arrived twice at once; the other one won.
            continue
    raise RuntimeError(f"could not link WeChat account {session.openid[:6]}…")


class SignupClosed(Exception):
    """IMGBACKUP_WECHAT_SIGNUP=closed and this openid has no user."""


def _new_user(openid: str) -> User:
    """A user named from a hash of the openid: stable, and without the openid in it. With
    IMGBACKUP_WECHAT_SIGNUP=approve (the default) the user is made inactive, until an admin
    enables them on the Users page; with ``closed`` nobody new gets in."""
    if settings.WECHAT_SIGNUP == "closed":
        raise SignupClosed
    base = "wx-" + hashlib.sha256(openid.encode()).hexdigest()[:12]
    username, n = base, 1
    while User.objects.filter(username=username).exists():
        n += 1
        username = f"{base}-{n}"
    user = User(username=username, is_active=settings.WECHAT_SIGNUP == "open")
    user.set_unusable_password()
    user.save()
    return user


def token_for(user: User) -> str:
    """A new API token for the mini program; older mini program tokens past the newest
    TOKENS_KEPT are revoked."""
    _, raw = create_token(user, TOKEN_NAME, numbered=True)
    # Token names are unique per user: the mini program's are "NAME", "NAME (2)", ...
    numbered = Q(name=TOKEN_NAME) | Q(name__regex=rf"^{re.escape(TOKEN_NAME)} \([0-9]+\)$")
    old = (ApiToken.objects.filter(numbered, user=user)
           .order_by("-created_at", "-id").values_list("id", flat=True)[TOKENS_KEPT:])
    ApiToken.objects.filter(id__in=list(old)).delete()
    return raw


def awaiting_approval(user: User) -> bool:
    """An inactive WeChat user who never got in: made under IMGBACKUP_WECHAT_SIGNUP=approve
    and not enabled yet (a user an admin disabled has had tokens, or signed in)."""
    return (not user.is_active and user.last_login is None
            and not ApiToken.objects.filter(user=user).exists())
