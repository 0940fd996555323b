from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from imgbackup.accounts.management.named_user import named_user
from imgbackup.accounts.management.passwords import add_password_arguments, read_password
from imgbackup.accounts.users import set_password


class Command(BaseCommand):
    help = ("Set a user's password. Their sessions end and their API tokens are revoked. "
            "(`imgbackup changepassword` is this command too.)")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        add_password_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        user = named_user(options["name"])
        password = read_password(options)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        revoked = set_password(user, password)
        self.stdout.write(f"new password set for {user.username}; their sessions ended and "
                          f"{revoked} API token(s) were revoked")
