from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from imgbackup.accounts.management.passwords import add_password_arguments, read_password
from imgbackup.accounts.users import check_text, create_user
from imgbackup.management.database import ready_database


class Command(BaseCommand):
    help = "Create a user who can back up photos (--admin: may also manage the server)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        add_password_arguments(parser)
        parser.add_argument("--admin", action="store_true", help="make the user an admin")

    def handle(self, *args: Any, **options: Any) -> None:
        ready_database()  # a fresh data folder has no tables yet
        try:
            name: str = check_text(options["name"], "user name").strip()
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
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
