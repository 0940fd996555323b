from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from imgbackup.accounts.tokens import create_token


class Command(BaseCommand):
    help = "Create an API token for a user. The token is printed alone on the last line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the user")
        parser.add_argument("--label", default="command line", help="what the token is for")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["name"], is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {options['name']!r}")
        token, raw = create_token(user, options["label"], numbered=True)
        self.stdout.write(f"token {token.prefix}… for {user.username} "
                          "(shown once: keep it somewhere safe)")
        self.stdout.write(raw)
