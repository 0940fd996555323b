"""Commands that need the database's tables (createuser, token) migrate first, so that they work
on a fresh data folder before `imgbackup serve` ever ran there."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import CommandError
from django.db.utils import OperationalError

from imgbackup.management.commands.serve import migrate


def ready_database() -> None:
    """Apply any migration not applied yet (nothing to do, and fast, once `serve` has run)."""
    try:
        migrate()
    except OperationalError as exc:
        raise CommandError(f"the database ({settings.DATABASES['default']['ENGINE']}) cannot "
                           f"be reached: {exc}") from None
