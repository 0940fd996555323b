"""``{% storage_usage user %}``: the signed-in user's storage use for the page header."""

from __future__ import annotations

from django import template
from django.contrib.auth.models import User

from imgbackup.accounts.quotas import quota_of
from imgbackup.photos.quota import usage_of
from imgbackup.sizes import format_size

register = template.Library()


@register.simple_tag
def storage_usage(user: User) -> str:
    """``1.2 GiB of 50.0 GiB used`` (``1.2 GiB used`` without a quota)."""
    used, quota = usage_of(user), quota_of(user)
    if quota is None:
        return f"{format_size(used)} used"
    return f"{format_size(used)} of {format_size(quota)} used"


@register.filter
def size(value: int | None) -> str:
    """Bytes as ``1.5 GiB`` (``none`` for None), as the quota command writes them."""
    return format_size(value)
