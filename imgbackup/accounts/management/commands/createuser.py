from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from imgbackup.accounts.management.passwords import add_password_arguments, read_password
from imgbackup.accounts.users import create_user


class Command(BaseCommand):
    help = "Create a user who can back up photos (--admin: may also manage the server)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        add_password_arguments(parser)
        parser.add_argument("--admin", action="store_true", help="make the user an admin")

    def handle(self, *args: Any, **options: Any) -> None:
        name: str = options["name"].strip()
        if not name:
            raise CommandError("the user name is empty")
        if User.objects.filter(username=name).exists():  # before asking for a password
            raise CommandError(f"user {name!r} exists already")
        password = read_password(options)
        try:
            create_user(name, password, admin=options["admin"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        role = "admin" if options["admin"] else "user"
        self.stdout.write(f"created {role} {name}")
