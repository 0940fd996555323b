from __future__ import annotations

import getpass
import sys
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from imgbackup.accounts.users import check_text, create_user
from imgbackup.management.database import ready_database


class Command(BaseCommand):
    help = "Create a user who can back up photos (--admin: may also manage the server)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        source = parser.add_mutually_exclusive_group()
        source.add_argument("--password", help="the password (visible in the process list)")
        source.add_argument("--password-stdin", action="store_true",
                            help="read the password from the first line of standard input")
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
        password = self._password(options)
        try:
            create_user(name, password, admin=options["admin"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        role = "admin" if options["admin"] else "user"
        self.stdout.write(f"created {role} {name}")

    def _password(self, options: dict[str, Any]) -> str:
        if options["password"] is not None:
            return str(options["password"])
        if options["password_stdin"]:
            return sys.stdin.readline().rstrip("\r\n")
        if not sys.stdin.isatty():
            raise CommandError("give --password or --password-stdin")
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("the passwords differ")
        return first
