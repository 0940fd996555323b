from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from imgbackup.accounts.management.named_user import named_user
from imgbackup.accounts.quotas import quota_of, set_quota
from imgbackup.photos.quota import usage_of
from imgbackup.sizes import format_size, parse_size


class Command(BaseCommand):
    help = ("Set a user's storage quota: a size like 500M, 50G or 2T (powers of 1024), or "
            "none. Without SIZE, show it and the user's usage.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the user")
        parser.add_argument("size", nargs="?", help="500M, 50G, 2T... or none")

    def handle(self, *args: Any, **options: Any) -> None:
        user = named_user(options["name"])
        if options["size"] is not None:
            try:
                size = parse_size(options["size"])
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            set_quota(user, size)
        self.stdout.write(f"{user.username}: quota {format_size(quota_of(user))}, using "
                          f"{format_size(usage_of(user))}")
