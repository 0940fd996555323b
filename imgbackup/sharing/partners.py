"""Partner-sharing workflows, as plain functions: every write to a partnership is here; the
views find the users and read the request (api_partners.py).

A partnership is one row from the user who shares to the partner who sees; either side may end
it, and only the partner chooses whether it shows in their own timeline."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Q

from imgbackup.sharing.models import Partner


def share_with(owner: User, partner: User) -> Partner:
    """Let ``partner`` see ``owner``'s timeline; sharing again keeps the first row."""
    row, _ = Partner.objects.get_or_create(owner=owner, partner=partner)
    return row


def end(user: User, username: str) -> bool:
    """End the partnership between ``user`` and that user, in either direction; False when
    there was none."""
    deleted, _ = Partner.objects.filter(
        Q(owner=user, partner__username=username) | Q(partner=user, owner__username=username)
    ).delete()
    return deleted > 0


def show_in_timeline(row: Partner, shown: bool) -> None:
    row.in_timeline = shown
    row.save(update_fields=["in_timeline"])
