from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from imgbackup.accounts.management.named_user import named_user
from imgbackup.accounts.tokens import create_token
from imgbackup.accounts.users import check_text
from imgbackup.management.database import ready_database


class Command(BaseCommand):
    help = "Create an API token for a user. The token is printed alone on the last line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the user")
        parser.add_argument("--label", default="command line", help="what the token is for")

    def handle(self, *args: Any, **options: Any) -> None:
        ready_database()  # a fresh data folder has no tables yet
        user = named_user(options["name"], active_only=True)
        try:
            label = check_text(options["label"], "label")
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        token, raw = create_token(user, label, numbered=True)
        self.stdout.write(f"token {token.prefix}… for {user.username} "
                          "(shown once: keep it somewhere safe)")
        self.stdout.write(raw)
