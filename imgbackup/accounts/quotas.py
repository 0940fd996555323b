"""Storage quotas of users: read, set, and the default every new user gets.

Enforcement is photos/quota.py's ``check_quota``, called by every ingest path."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models.signals import post_save
from django.dispatch import receiver

from imgbackup.accounts.models import Quota


def quota_of(user: User) -> int | None:
    """The most bytes ``user`` may keep, or None for no limit."""
    row = Quota.objects.filter(user=user).first()
    return row.max_bytes if row is not None else None


def set_quota(user: User, max_bytes: int | None) -> None:
    Quota.objects.update_or_create(user=user, defaults={"max_bytes": max_bytes})


@receiver(post_save, sender=User, dispatch_uid="imgbackup-default-quota")
def _default_quota(sender: type[User], instance: User, created: bool, raw: bool = False,
                   **kwargs: Any) -> None:
    """Every new user (setup page, Users page, createuser, WeChat) starts with the default."""
    if created and not raw:
        Quota.objects.get_or_create(user=instance,
                                    defaults={"max_bytes": settings.DEFAULT_QUOTA})
